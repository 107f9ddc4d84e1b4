package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// runReport is everything a run measured, as -json writes it.
type runReport struct {
	Machine  machine
	Flags    string
	Baseline string
	Pairs    []pairResult
	Syscalls []syscallResult
	Notice   string `json:",omitempty"` // why the syscall pass was skipped
}

// machine describes where the run happened.
type machine struct {
	CPUs      int
	GoVersion string
	Kernel    string
	Date      string
}

// minSyscallRate is the smallest calls per request the syscall table
// names.
const minSyscallRate = 0.05

// writeMarkdown writes rep as markdown: the machine and flags, then per
// endpoint (in the order of endpoints) a table with a row per server (in
// the order of labels, the baseline first), then the syscalls table.
func writeMarkdown(w io.Writer, rep runReport, labels, endpoints []string) {
	m := rep.Machine
	fmt.Fprintf(w, "# wirebench\n\n%s, %d CPUs, %s, Linux %s\n\n`wirebench %s`\n\n",
		m.Date, m.CPUs, m.GoVersion, m.Kernel, rep.Flags)
	fmt.Fprintf(w, "CPU is the server process's user+system time per request (getrusage), "+
		"allocs and bytes its heap allocations per request (runtime/metrics), "+
		"each server loaded at the same moment as a %s process, both pinned to one core; "+
		"\"×\" columns are the median over rounds of that pair's ratio to %s (min–max). "+
		"Latency is send to full response, closed loop. Syscalls are from a separate strace pass.\n",
		rep.Baseline, rep.Baseline)
	for _, ep := range endpoints {
		fmt.Fprintf(w, "\n## %s\n\n", ep)
		fmt.Fprintln(w, "| server | CPU µs/req | CPU × | allocs/req | allocs × | B/req | p50 µs | p50 × | p99 µs | p99 × | syscalls/req | read | write |")
		fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
		for i, label := range labels {
			pairs, base := pairsOf(rep.Pairs, label, ep), false
			if i == 0 { // the baseline's row: its side of every pair
				pairs, base = pairsOn(rep.Pairs, ep), true
			}
			if len(pairs) == 0 {
				continue
			}
			cpu := figures(pairs, cpuPerRequest, base)
			allocs := figures(pairs, allocsPerReq, base)
			bytes := figures(pairs, bytesPerRequest, base)
			p50 := figures(pairs, p50Micros, base)
			p99 := figures(pairs, p99Micros, base)
			sys := syscallCells(rep.Syscalls, label, ep)
			fmt.Fprintf(w, "| %s | %.2f | %s | %.1f | %.2f | %.0f | %.1f | %.2f | %.1f | %.2f | %s |\n",
				label, cpu.value.med, ratioCell(cpu.ratio), allocs.value.med, allocs.ratio.med,
				bytes.value.med, p50.value.med, p50.ratio.med, p99.value.med, p99.ratio.med, sys)
		}
	}
	writeSyscalls(w, rep, labels, endpoints)
}

// ratioCell formats a ratio spread as "1.23 (1.10–1.30)".
func ratioCell(s spread) string {
	return fmt.Sprintf("%.2f (%.2f–%.2f)", s.med, s.lo, s.hi)
}

// syscallCells returns the syscall columns of a row: total, read, write
// per request; blank when the pass did not measure label on ep.
func syscallCells(results []syscallResult, label, ep string) string {
	for _, r := range results {
		if r.Server == label && r.Endpoint == ep {
			return fmt.Sprintf("%.2f | %.2f | %.2f", r.Total, r.PerRequest["read"], r.PerRequest["write"])
		}
	}
	return " | | "
}

// writeSyscalls writes the calls of each server on each endpoint that
// happen at least minSyscallRate times per request, most frequent first.
func writeSyscalls(w io.Writer, rep runReport, labels, endpoints []string) {
	fmt.Fprint(w, "\n## System calls per request\n\n")
	if rep.Notice != "" {
		fmt.Fprintln(w, rep.Notice)
		return
	}
	if len(rep.Syscalls) == 0 {
		fmt.Fprintln(w, "Not measured (-strace=false).")
		return
	}
	fmt.Fprintf(w, "One connection, %d sequential requests, `strace -f -c` attached to the server during exactly those; calls at least %.2f times per request.\n\n",
		rep.Syscalls[0].Requests, minSyscallRate)
	fmt.Fprintln(w, "| server | endpoint | total | calls per request |")
	fmt.Fprintln(w, "|---|---|--:|---|")
	for _, ep := range endpoints {
		for _, label := range labels {
			for _, r := range rep.Syscalls {
				if r.Server == label && r.Endpoint == ep {
					fmt.Fprintf(w, "| %s | %s | %.2f | %s |\n", label, ep, r.Total, frequentCalls(r.PerRequest))
				}
			}
		}
	}
}

// frequentCalls formats the calls of at least minSyscallRate per request
// as "read 1.00, write 1.00", most frequent first, then by name.
func frequentCalls(perRequest map[string]float64) string {
	type call struct {
		name string
		rate float64
	}
	var calls []call
	for name, rate := range perRequest {
		if rate >= minSyscallRate {
			calls = append(calls, call{name, rate})
		}
	}
	slices.SortFunc(calls, func(a, b call) int {
		return cmp.Or(cmp.Compare(b.rate, a.rate), strings.Compare(a.name, b.name))
	})
	parts := make([]string, len(calls))
	for i, c := range calls {
		parts[i] = fmt.Sprintf("%s %.2f", c.name, c.rate)
	}
	return strings.Join(parts, ", ")
}

// pairsOf returns the pairs of server label on endpoint ep.
func pairsOf(pairs []pairResult, label, ep string) []pairResult {
	var out []pairResult
	for _, p := range pairs {
		if p.Server == label && p.Endpoint == ep {
			out = append(out, p)
		}
	}
	return out
}

// pairsOn returns every pair on endpoint ep.
func pairsOn(pairs []pairResult, ep string) []pairResult {
	var out []pairResult
	for _, p := range pairs {
		if p.Endpoint == ep {
			out = append(out, p)
		}
	}
	return out
}
