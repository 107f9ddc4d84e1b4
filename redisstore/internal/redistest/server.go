// Package redistest starts redis-server (or valkey-server) processes for
// the tests and benchmarks of the redisstore module: a single server, or a
// three-node cluster, on free loopback ports, each stopped when the test
// that started it ends. It is for tests only.
//
// A test that finds neither server in PATH is skipped, except under
// CI=true, where it fails: CI never passes without a server.
package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// patience bounds every wait for a server to start, answer or exit.
const patience = 10 * time.Second

// Server is one server process on 127.0.0.1. Its methods fail the test on
// any error; they are not safe for concurrent use with each other.
type Server struct {
	t      testing.TB
	bin    string
	dir    string
	port   int
	extra  []string
	cmd    *exec.Cmd
	exited chan struct{}
}

// Binary returns the path of redis-server, or else valkey-server, in PATH.
// When neither is there it skips the test, or fails it under CI=true.
func Binary(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"redis-server", "valkey-server"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("neither redis-server nor valkey-server is in PATH (CI=true: not skipping)")
	}
	t.Skip("neither redis-server nor valkey-server is in PATH")
	return ""
}

// Start starts a server on a free port of 127.0.0.1, with no persistence
// and its files in a temporary directory, plus the extra arguments given,
// and waits until it answers PING. The server is stopped when the test
// ends. A port taken between choosing it and binding it is chosen again,
// a few times; any other failure to start fails the test.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	s := &Server{t: t, bin: Binary(t), dir: t.TempDir(), extra: extra}
	t.Cleanup(s.shutdown)
	var err error
	for range 5 {
		s.port = freePort(t)
		if err = s.start(); err == nil || !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Addr returns the server's address, "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port returns the server's port.
func (s *Server) Port() int { return s.port }

// Dir returns the server's working directory.
func (s *Server) Dir() string { return s.dir }

// Kill ends the server with SIGKILL and waits until it has exited: every
// connection to it is reset and its data is gone.
func (s *Server) Kill() {
	s.t.Helper()
	s.signal(syscall.SIGKILL)
	s.wait(patience)
}

// Restart starts the server again on the same port, after [Server.Kill],
// empty, and waits until it answers PING.
func (s *Server) Restart() {
	s.t.Helper()
	if s.running() {
		s.t.Fatal("redistest: Restart of a server that runs")
	}
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

// Stop suspends the server with SIGSTOP: it keeps its connections and
// answers nothing, a hanging server, until [Server.Cont].
func (s *Server) Stop() { s.t.Helper(); s.signal(syscall.SIGSTOP) }

// Cont resumes a server suspended by [Server.Stop].
func (s *Server) Cont() { s.t.Helper(); s.signal(syscall.SIGCONT) }

// Do sends one command on a new connection and returns the reply (see
// [Do]); it fails the test on an error.
func (s *Server) Do(args ...string) string {
	s.t.Helper()
	r, err := Do(s.Addr(), args...)
	if err != nil {
		s.t.Fatalf("redistest: %s on %s: %v", strings.Join(args, " "), s.Addr(), err)
	}
	return r
}

// start runs the server on s.port and waits until it answers PING. It
// returns the server's log in the error when the server exits or does not
// answer in time.
func (s *Server) start() error {
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
	}, s.extra...)
	logPath := filepath.Join(s.dir, "server.log")
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { cmd.Wait(); close(exited) }(s.exited)
	for deadline := time.Now().Add(patience); ; time.Sleep(5 * time.Millisecond) {
		if r, err := Do(s.Addr(), "PING"); err == nil && r == "PONG" {
			return nil
		}
		if !s.running() || time.Now().After(deadline) {
			s.signal(syscall.SIGKILL)
			s.wait(patience)
			b, _ := os.ReadFile(logPath)
			return fmt.Errorf("redistest: %s on port %d did not start:\n%s", s.bin, s.port, b)
		}
	}
}

// shutdown ends a running server: SIGCONT in case it was stopped, SIGTERM,
// then SIGKILL if it has not exited within a bound.
func (s *Server) shutdown() {
	if !s.running() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGCONT)
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(patience):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

func (s *Server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

func (s *Server) signal(sig os.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Fatalf("redistest: %v to the server: %v", sig, err)
	}
}

func (s *Server) wait(limit time.Duration) {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(limit):
		s.t.Fatalf("redistest: the server did not exit within %v", limit)
	}
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
