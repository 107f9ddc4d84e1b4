package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary serve as a child server, as the program
// does when it re-executes itself with -serve.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestSmokeRunReportsEveryServerOnEveryEndpoint(t *testing.T) {
	out := filepath.Join(t.TempDir(), "raw.json")
	var stdout bytes.Buffer
	err := run([]string{"-smoke", "-servers", "nethttp,micro-default", "-strace=false", "-json", out},
		strings.NewReader(""), &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	report := stdout.String()
	for _, ep := range endpointNames {
		_, section, ok := strings.Cut(report, "\n## "+ep+"\n")
		if !ok {
			t.Fatalf("no section for %s in:\n%s", ep, report)
		}
		section, _, _ = strings.Cut(section, "\n## ")
		for _, row := range []string{"| nethttp |", "| nethttp (A/A) |", "| micro-default |"} {
			if !strings.Contains(section, row) {
				t.Errorf("section %s has no row %q:\n%s", ep, row, section)
			}
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var raw runReport
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Pairs) != 2*len(endpointNames) {
		t.Fatalf("%d pairs, want %d", len(raw.Pairs), 2*len(endpointNames))
	}
	for _, p := range raw.Pairs {
		if p.S.Requests == 0 || p.Base.Requests == 0 || p.S.CPUMicros <= 0 || p.Base.Allocs <= 0 {
			t.Errorf("pair %s on %s measured nothing: %+v", p.Server, p.Endpoint, p)
		}
	}
}

func TestSyscallPassCountsTheServersReadsAndWrites(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("strace is not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, err := startChild(exe, "micro", -1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop()
	ep, err := newEndpoint("item")
	if err != nil {
		t.Fatal(err)
	}
	r, err := stracePass(c, "micro", ep, 50, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Each response is at least one write, each request at least one read.
	if r.PerRequest["write"] < 1 || r.PerRequest["read"] < 1 || r.Total < 2 {
		t.Fatalf("per request: %v (total %.2f); want at least one read and one write", r.PerRequest, r.Total)
	}
}

func TestParseConfigRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"-servers", "nethttp,apache"},
		{"-endpoints", "list,delete"},
		{"-servers", "micro,micro"},
		{"-endpoints", "item,item"},
		{"-rounds", "0"},
		{"extra"},
	} {
		if _, err := parseConfig(args, io.Discard); err == nil {
			t.Errorf("parseConfig(%q) = nil error", args)
		}
	}
}
