package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime/metrics"
	"syscall"
	"time"

	"github.com/microkit-go/micro/bench/servers"
	"golang.org/x/sys/unix"
)

// serve is the child side: it runs the server name on 127.0.0.1 (an
// ephemeral port), pinned to cpu (none when cpu < 0), prints the address
// on out, then answers the commands read from in, one line each:
//
//	stats   "cpu_us allocs bytes": the process's user+system CPU time in
//	        µs and its heap allocations since it started, objects and bytes
//	quit    exit
//
// It returns when in says quit or ends (the parent is gone), or with an
// error for an unknown server, a failed pin or listen, or an unknown
// command.
func serve(name string, cpu int, in io.Reader, out io.Writer) error {
	if cpu >= 0 {
		if err := pinProcess([]int{cpu}); err != nil {
			return err
		}
	}
	// Let the parent's strace attach where Yama allows only ancestors to
	// trace (ptrace_scope 1); without Yama this fails and changes nothing.
	_ = unix.Prctl(unix.PR_SET_PTRACER, unix.PR_SET_PTRACER_ANY, 0, 0, 0)
	h, err := servers.New(name)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go srv.Serve(ln)
	defer srv.Close()
	if _, err := fmt.Fprintln(out, ln.Addr()); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		switch cmd := sc.Text(); cmd {
		case "stats":
			s, err := readStats()
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(out, "%d %d %d\n", s.cpuMicros, s.allocs, s.bytes); err != nil {
				return err
			}
		case "quit":
			return nil
		default:
			return fmt.Errorf("unknown command %q", cmd)
		}
	}
	return sc.Err()
}

// processStats are a process's cumulative counters.
type processStats struct {
	cpuMicros int64 // user + system CPU time
	allocs    uint64
	bytes     uint64
}

// sub returns the counters of s since before.
func (s processStats) sub(before processStats) processStats {
	return processStats{s.cpuMicros - before.cpuMicros, s.allocs - before.allocs, s.bytes - before.bytes}
}

// readStats reads this process's CPU time (getrusage) and heap
// allocation counters (runtime/metrics).
func readStats() (processStats, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return processStats{}, err
	}
	samples := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(samples)
	return processStats{
		cpuMicros: micros(ru.Utime) + micros(ru.Stime),
		allocs:    samples[0].Value.Uint64(),
		bytes:     samples[1].Value.Uint64(),
	}, nil
}

// micros returns t in µs.
func micros(t syscall.Timeval) int64 { return int64(t.Sec)*1e6 + int64(t.Usec) }
