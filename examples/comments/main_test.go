package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/examples/comments/api"
)

// testRun is run as the tests call it: a flag error is returned, not an
// exit.
func testRun(ctx context.Context, args []string, stderr io.Writer, listening func(net.Addr)) error {
	return run(ctx, flag.NewFlagSet("comments", flag.ContinueOnError), args, stderr, listening)
}

// TestGracefulShutdown cancels the server while a POST is in flight: the POST
// completes, its comment is on disk, and run returns nil.
func TestGracefulShutdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "comments.json")
	ctx, cancel := context.WithCancel(t.Context())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- testRun(ctx, []string{"-addr", "127.0.0.1:0", "-data", path, "-grace", "5s"}, io.Discard,
			func(a net.Addr) { addrs <- a })
	}()
	addr := (<-addrs).String()

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"comment":"in flight"}`
	fmt.Fprintf(conn, "POST /api/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		len(body), body[:5])
	time.Sleep(100 * time.Millisecond) // the request is being read
	cancel()
	time.Sleep(100 * time.Millisecond) // shutdown has begun
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("a new connection was accepted after shutdown began")
	}
	io.WriteString(conn, body[5:])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight request got no response: %v", err)
	}
	if res.StatusCode != 201 {
		t.Errorf("in-flight POST = %d, want 201", res.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after shutdown")
	}
	want := append(api.Seed(), api.Comment{Comment: "in flight"})
	if file, err := api.ReadLog(path); err != nil {
		t.Error(err)
	} else if diff := cmp.Diff(want, file); diff != "" {
		t.Errorf("file after shutdown (-want +got):\n%s", diff)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-addr", "256.0.0.1:1"}, {"-data", "/proc/nope/x.json", "-addr", "127.0.0.1:0"}} {
		if err := testRun(t.Context(), args, io.Discard, nil); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

// TestRunHelpPrintsTheFlags: -h is flag.ErrHelp, which the flag set of
// main (flag.ExitOnError) turns into an exit status of 0, after the usage.
func TestRunHelpPrintsTheFlags(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		var stderr strings.Builder
		if err := testRun(t.Context(), []string{arg}, &stderr, nil); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("run(%q) = %v, want flag.ErrHelp", arg, err)
		}
		for _, name := range []string{"-addr", "-data", "-grace", "-cors-origins", "-cookie-key"} {
			if !strings.Contains(stderr.String(), name) {
				t.Errorf("run(%q) printed %q, which does not list %s", arg, stderr.String(), name)
			}
		}
	}
}

func TestRunRefusesAShortCookieKey(t *testing.T) {
	var stderr bytes.Buffer
	err := testRun(t.Context(), []string{"-addr", "127.0.0.1:0", "-cookie-key", "short"}, &stderr, nil)
	if err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Errorf("run = %v", err)
	}
	err = testRun(t.Context(), []string{"-addr", "127.0.0.1:0", "-cors-origins", "https://ok.example,not an origin"}, &stderr, nil)
	if err == nil || !strings.Contains(err.Error(), "CORS") {
		t.Errorf("run with a bad origin = %v", err)
	}
}

func TestRunLogsACutTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "comments.json")
	seed := api.Seed()
	if _, err := api.OpenStore(path, seed); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(`{"comment":"to`)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // run stops as soon as it listens
	var log strings.Builder
	if err := testRun(ctx, []string{"-addr", "127.0.0.1:0", "-data", path}, &log, nil); err != nil {
		t.Fatal(err)
	}
	if want := `level=WARN msg="cut a torn last line from the data file" data=` + path + " bytes=14"; !strings.Contains(log.String(), want) {
		t.Errorf("the log does not say %q:\n%s", want, log.String())
	}
	if file, err := api.ReadLog(path); err != nil {
		t.Error(err)
	} else if diff := cmp.Diff(seed, file); diff != "" {
		t.Errorf("the file (-want +got):\n%s", diff)
	}
}
