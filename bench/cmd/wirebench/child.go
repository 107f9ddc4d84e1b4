package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// replyTimeout bounds the wait for a child's address or stats line.
const replyTimeout = 10 * time.Second

// child is a server running in its own process: this program re-executed
// with -serve.
type child struct {
	name  string
	addr  string // host:port on 127.0.0.1
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // the child's stdout, line by line; closed at its end
}

// startChild starts the server name in a child process with GOMAXPROCS=1,
// pinned to cpu (none when cpu < 0), and waits for its address. The child
// is killed if this process dies. An error when the child does not start
// or does not print its address in time; the child is then killed.
func startChild(exe, name string, cpu int) (*child, error) {
	cmd := exec.Command(exe, "-serve", name, "-cpu", strconv.Itoa(cpu))
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the %s server: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, stdin: stdin, lines: make(chan string, 1)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	addr, err := c.reply()
	if err != nil {
		c.kill()
		return nil, fmt.Errorf("the %s server did not start: %w", name, err)
	}
	c.addr = addr
	return c, nil
}

// pid returns the child's process ID.
func (c *child) pid() int { return c.cmd.Process.Pid }

// reply returns the child's next line; an error if it ends or says
// nothing in time.
func (c *child) reply() (string, error) {
	select {
	case line, ok := <-c.lines:
		if !ok {
			return "", fmt.Errorf("the %s server exited", c.name)
		}
		return line, nil
	case <-time.After(replyTimeout):
		return "", fmt.Errorf("the %s server did not answer in %v", c.name, replyTimeout)
	}
}

// stats asks the child for its counters; an error if its answer does not
// come or is not three numbers.
func (c *child) stats() (processStats, error) {
	if _, err := io.WriteString(c.stdin, "stats\n"); err != nil {
		return processStats{}, fmt.Errorf("asking the %s server for stats: %w", c.name, err)
	}
	line, err := c.reply()
	if err != nil {
		return processStats{}, err
	}
	var s processStats
	f := strings.Fields(line)
	if len(f) != 3 {
		return s, fmt.Errorf("the %s server's stats %q are not three numbers", c.name, line)
	}
	s.cpuMicros, err = strconv.ParseInt(f[0], 10, 64)
	if err == nil {
		s.allocs, err = strconv.ParseUint(f[1], 10, 64)
	}
	if err == nil {
		s.bytes, err = strconv.ParseUint(f[2], 10, 64)
	}
	if err != nil {
		return s, fmt.Errorf("the %s server's stats %q: %w", c.name, line, err)
	}
	return s, nil
}

// stop asks the child to quit and kills it if it has not within a second.
func (c *child) stop() {
	_, _ = io.WriteString(c.stdin, "quit\n")
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// kill ends the child at once.
func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}
