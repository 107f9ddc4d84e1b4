package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStraceSummaryReadsACapturedTable(t *testing.T) {
	f, err := os.Open("testdata/strace-summary.txt") // strace 6.1 -f -c of ls
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts, err := parseStraceSummary(f)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != 147 || counts["read"] != 7 || counts["openat"] != 34 || counts["ioctl"] != 2 || len(counts) != 22 {
		t.Fatalf("total %d, read %d, openat %d, ioctl %d, %d names; want 147, 7, 34, 2, 22",
			total, counts["read"], counts["openat"], counts["ioctl"], len(counts))
	}
}

func TestParseStraceSummaryReadsTheOlderLayout(t *testing.T) {
	// strace before 5.x: no usecs/call on the total row, errors column
	// blank or not.
	const table = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 60.00    0.000006           3         2           write
 40.00    0.000004           0        12         4 epoll_pwait
------ ----------- ----------- --------- --------- ----------------
100.00    0.000010                    14         4 total
`
	counts, err := parseStraceSummary(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"write": 2, "epoll_pwait": 12}, counts); diff != "" {
		t.Fatalf("counts (-want +got):\n%s", diff)
	}
}

func TestParseStraceSummaryOfNothingIsEmpty(t *testing.T) {
	counts, err := parseStraceSummary(strings.NewReader("\n"))
	if err != nil || len(counts) != 0 {
		t.Fatalf("parse of an empty summary = %v, %v; want no calls", counts, err)
	}
}

func TestParseStraceSummaryRefusesWhatIsNotATable(t *testing.T) {
	for name, in := range map[string]string{
		"no heading": "strace: attach: ptrace(PTRACE_SEIZE, 1): Operation not permitted\n",
		"calls not a number": `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 60.00    0.000006           3         x           write
`,
		"calls out of its column": `% time     seconds  usecs/call     calls    errors syscall
 60.00    0.000006           3   2                 write
`,
	} {
		t.Run(name, func(t *testing.T) {
			if counts, err := parseStraceSummary(strings.NewReader(in)); err == nil {
				t.Fatalf("parse = %v, nil error; want an error", counts)
			}
		})
	}
}
