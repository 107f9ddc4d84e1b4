package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// straceTimeout bounds strace's attaching and detaching.
const straceTimeout = 10 * time.Second

// syscallResult is what a server's process made of the system calls while
// it answered Requests sequential requests on one connection.
type syscallResult struct {
	Server     string
	Endpoint   string
	Requests   int
	Total      float64            // system calls per request
	PerRequest map[string]float64 // per syscall name
}

// stracePass sends n requests of ep, one after the other on one
// connection, to the server c, with `strace -f -c` attached to its process
// during exactly that window, and returns the calls per request. The
// connection is opened and used ten times before strace attaches. dir
// holds strace's summary file. An error when strace does not attach in
// time, a request fails, or its summary cannot be read.
func stracePass(c *child, label string, ep endpoint, n int, dir string) (syscallResult, error) {
	conns, err := dial(c.addr, ep, 1)
	if err != nil {
		return syscallResult{}, err
	}
	defer closeAll(conns)
	lc := conns[0]
	lc.start()
	for range 10 {
		if err := lc.do(); err != nil {
			return syscallResult{}, err
		}
	}
	out := filepath.Join(dir, fmt.Sprintf("strace-%d-%s.txt", c.pid(), ep.name))
	var stderr bytes.Buffer
	cmd := exec.Command("strace", "-f", "-c", "-q", "-o", out, "-p", strconv.Itoa(c.pid()))
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return syscallResult{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	if err := waitTraced(c.pid(), cmd.Process.Pid, done); err != nil {
		return syscallResult{}, fmt.Errorf("%w (strace said %q)", err, stderr.String())
	}
	for range n {
		if err := lc.do(); err != nil {
			return syscallResult{}, err
		}
	}
	// Let the server finish its last response's calls and wait again.
	time.Sleep(20 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return syscallResult{}, err
	}
	select {
	case err = <-done:
		stopped = true
	case <-time.After(straceTimeout):
		return syscallResult{}, fmt.Errorf("strace did not stop in %v", straceTimeout)
	}
	if err != nil && !interrupted(err) {
		return syscallResult{}, fmt.Errorf("strace: %w (it said %q)", err, stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		return syscallResult{}, err
	}
	defer f.Close()
	counts, err := parseStraceSummary(f)
	if err != nil {
		return syscallResult{}, err
	}
	res := syscallResult{Server: label, Endpoint: ep.name, Requests: n, PerRequest: map[string]float64{}}
	for name, calls := range counts {
		res.PerRequest[name] = float64(calls) / float64(n)
		res.Total += float64(calls) / float64(n)
	}
	return res, nil
}

// interrupted reports whether err is the exit of a process that ended on
// SIGINT, as strace does once it has written its summary.
func interrupted(err error) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGINT
}

// waitTraced returns once every thread of process pid is traced by
// tracer; an error if tracer exits (done receives) or straceTimeout
// passes first.
func waitTraced(pid, tracer int, done <-chan error) error {
	deadline := time.Now().Add(straceTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("strace exited before attaching: %v", err)
		default:
		}
		if ok, err := allTraced(pid, tracer); err != nil {
			return err
		} else if ok {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("strace did not attach to process %d in %v", pid, straceTimeout)
}

// allTraced reports whether every thread of pid has tracer as its
// TracerPid.
func allTraced(pid, tracer int) (bool, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	want := "TracerPid:\t" + strconv.Itoa(tracer) + "\n"
	for _, t := range tasks {
		status, err := os.ReadFile(filepath.Join(dir, t.Name(), "status"))
		if err != nil {
			return false, nil // a thread that just ended
		}
		if !strings.Contains(string(status), want) {
			return false, nil
		}
	}
	return true, nil
}

// parseStraceSummary reads the table `strace -c` prints and returns the
// calls of each system call. The calls column is found by the position of
// its right-aligned "calls" heading, so rows with or without the errors
// (and, in older versions, usecs/call) fields read the same. Reading stops
// at the "total" row. Empty input (strace saw no call) is an empty map;
// input with no table, or a row whose calls are not a number under the
// heading, is an error.
func parseStraceSummary(r io.Reader) (map[string]int, error) {
	counts := map[string]int{}
	sc := bufio.NewScanner(r)
	callsEnd := -1
	blank := true
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		blank = false
		if callsEnd < 0 {
			if i := strings.Index(line, "calls"); i >= 0 && strings.HasSuffix(trimmed, "syscall") {
				callsEnd = i + len("calls")
			}
			continue
		}
		if strings.HasPrefix(trimmed, "---") {
			continue
		}
		fields := strings.Fields(trimmed)
		name := fields[len(fields)-1]
		if name == "total" {
			return counts, nil
		}
		calls, err := fieldEndingAt(line, callsEnd)
		if err != nil {
			return nil, fmt.Errorf("strace summary row %q: %w", line, err)
		}
		counts[name] += calls
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if blank {
		return counts, nil
	}
	if callsEnd < 0 {
		return nil, errors.New("strace summary: no table heading")
	}
	return counts, nil
}

// fieldEndingAt parses the whitespace-separated number of line that ends
// at byte end.
func fieldEndingAt(line string, end int) (int, error) {
	if end > len(line) || (end < len(line) && line[end] != ' ' && line[end] != '\t') {
		return 0, errors.New("no number under the calls heading")
	}
	start := strings.LastIndexAny(line[:end], " \t") + 1
	n, err := strconv.Atoi(line[start:end])
	if err != nil {
		return 0, errors.New("no number under the calls heading")
	}
	return n, nil
}
