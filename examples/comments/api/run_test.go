package api

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
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// testRun is Run as the tests call it: a flag error is returned, not an
// exit.
func testRun(ctx context.Context, args []string, stderr io.Writer, listening func(net.Addr)) error {
	return Run(ctx, flag.NewFlagSet("comments", flag.ContinueOnError), args, stderr, Options{Listening: listening})
}

// TestGracefulShutdown cancels the server while a POST is in flight: the POST
// completes, its comment is on disk, and Run returns nil.
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
	runReturnsNil(t, done)
	want := append(Seed(), Comment{Comment: "in flight"})
	if file, err := ReadLog(path); err != nil {
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
		for _, name := range []string{"-addr", "-data", "-grace", "-cors-origins", "-cookie-key", "-trusted-proxies", "-post-limit", "-post-window"} {
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
	seed := Seed()
	if _, err := OpenStore(path, seed); err != nil {
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
	if file, err := ReadLog(path); err != nil {
		t.Error(err)
	} else if diff := cmp.Diff(seed, file); diff != "" {
		t.Errorf("the file (-want +got):\n%s", diff)
	}
}

// TestRunTrustedProxiesCountClientsApart: behind a proxy named by
// -trusted-proxies, each client its X-Forwarded-For names has its own
// limit; an X-Forwarded-For from any other peer changes nothing.
func TestRunTrustedProxiesCountClientsApart(t *testing.T) {
	behind := startRun(t, []string{"-trusted-proxies", "10.0.0.0/8, 127.0.0.1", "-post-limit", "1"}, Options{})
	for _, c := range []struct {
		client string
		status int
	}{{"203.0.113.1", 201}, {"203.0.113.1", 429}, {"203.0.113.2", 201}} {
		if got := send(t, behind, "POST", "X-Forwarded-For", c.client); got.Status != c.status {
			t.Errorf("POST for %s through the proxy: %d, want %d", c.client, got.Status, c.status)
		}
	}
	direct := startRun(t, []string{"-post-limit", "1"}, Options{})
	for i, want := range []int{201, 429} {
		if got := send(t, direct, "POST", "X-Forwarded-For", "203.0.113."+strconv.Itoa(i)); got.Status != want {
			t.Errorf("POST %d with a forged X-Forwarded-For: %d, want %d", i, got.Status, want)
		}
	}
}

// TestRunRefusesBadTrustedProxies: a -trusted-proxies entry that is no
// address or prefix is Run's error before anything listens.
func TestRunRefusesBadTrustedProxies(t *testing.T) {
	for _, v := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.1," + "x"} {
		err := testRun(t.Context(), []string{"-addr", "127.0.0.1:0", "-trusted-proxies", v}, io.Discard, func(net.Addr) { t.Errorf("%q: Run listened", v) })
		if err == nil || !strings.HasPrefix(err.Error(), "-trusted-proxies: ") {
			t.Errorf("-trusted-proxies %q: %v, want an error naming the flag", v, err)
		}
	}
}

// TestRunRefusesABadPostLimit: a -post-limit or -post-window the limiter
// refuses is Run's error, with the limiter's message, before the data
// file is opened or anything listens.
func TestRunRefusesABadPostLimit(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-post-limit", "-1"}, "middleware: RateLimit needs a Limit of at least 1, not -1"},
		{[]string{"-post-window", "1500ms"}, "middleware: RateLimit needs a Window of a whole number of seconds, at least 1s, not 1.5s"},
		{[]string{"-post-limit", "5", "-post-window", "0s"}, "middleware: RateLimit needs a Window of a whole number of seconds, at least 1s, not 0s"},
	} {
		data := filepath.Join(t.TempDir(), "comments.json")
		args := append([]string{"-addr", "127.0.0.1:0", "-data", data}, tc.args...)
		err := testRun(t.Context(), args, io.Discard, func(net.Addr) { t.Errorf("run(%q) listened", tc.args) })
		if err == nil || err.Error() != tc.want {
			t.Errorf("run(%q) = %v, want %q", tc.args, err, tc.want)
		}
		if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("run(%q) opened the data file before checking the configuration: %v", tc.args, err)
		}
	}
}

// countingStore is a RateLimitStore that counts its calls and answers
// each with decision and err.
type countingStore struct {
	calls    atomic.Int64
	decision middleware.RateLimitDecision
	err      error
}

func (s *countingStore) Take(ctx context.Context, key string, p middleware.RateLimitPolicy, cost int64) (middleware.RateLimitDecision, error) {
	s.calls.Add(1)
	return s.decision, s.err
}

// startRun runs Run with args and opts (Listening is set) until the test
// ends, and returns the address it listens on. The test fails if Run
// does not return nil once stopped.
func startRun(t *testing.T, args []string, opts Options) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	opts.Listening = func(a net.Addr) { addrs <- a }
	go func() {
		done <- Run(ctx, flag.NewFlagSet("comments", flag.ContinueOnError), append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, opts)
	}()
	t.Cleanup(func() {
		cancel()
		runReturnsNil(t, done)
	})
	select {
	case a := <-addrs:
		return a.String()
	case err := <-done:
		t.Fatalf("Run returned %v before listening", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run is not listening after 10s")
	}
	return ""
}

// runReturnsNil waits for Run's error on done, once its context is done:
// the test fails if it is not nil, or if it does not come within 10 s.
func runReturnsNil(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was done")
	}
}

// runReply is what the tests of Run's limit compare of an answer.
type runReply struct {
	Status    int
	Policy    string // RateLimit-Policy
	RateLimit string
}

// send sends method to /api/comments at addr, a comment when it is POST,
// with the header given as name, value pairs.
func send(t *testing.T, addr, method string, header ...string) runReply {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), method, "http://"+addr+"/api/comments", strings.NewReader(`{"comment":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	res := testkit.Do(t, &http.Client{Transport: tr}, r)
	return runReply{res.Status, res.Header.Get("RateLimit-Policy"), res.Header.Get("RateLimit")}
}

// TestRunRateLimitStore: the store Options.RateLimitStore returns is the
// one the POST limit asks, for POSTs only, with -post-limit's policy; its
// failure is answered as Options.OnStoreError says.
func TestRunRateLimitStore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		store *countingStore
		mode  middleware.RateLimitFailure
		hook  int64 // calls of the hook
		want  runReply
		takes int64 // calls of Take for one POST and one GET
	}{
		{"the store decides a POST", []string{"-post-limit", "30", "-post-window", "1m"},
			&countingStore{decision: middleware.RateLimitDecision{Allowed: true, Remaining: 7, Reset: 2 * time.Second}}, middleware.RateLimitFailClosed,
			1, runReply{201, `"default";q=30;w=60`, `"default";r=7;t=2`}, 1},
		{"its refusal is a 429", nil,
			&countingStore{decision: middleware.RateLimitDecision{Remaining: 0, RetryAfter: time.Second, Reset: time.Minute}}, middleware.RateLimitFailClosed,
			1, runReply{429, `"default";q=10;w=60`, `"default";r=0;t=60`}, 1},
		{"a failing store with the default mode refuses", nil,
			&countingStore{err: errors.New("store down")}, middleware.RateLimitFailClosed,
			1, runReply{503, `"default";q=10;w=60`, ""}, 1},
		{"a failing store with RateLimitFailOpen admits", nil,
			&countingStore{err: errors.New("store down")}, middleware.RateLimitFailOpen,
			1, runReply{201, `"default";q=10;w=60`, ""}, 1},
		{"a failing store with RateLimitFailLocal limits locally", nil,
			&countingStore{err: errors.New("store down")}, middleware.RateLimitFailLocal,
			1, runReply{201, `"default";q=10;w=60`, `"default";r=9;t=6`}, 1},
		{"-post-limit 0 asks for no store and limits nothing", []string{"-post-limit", "0"},
			&countingStore{err: errors.New("never asked")}, middleware.RateLimitFailClosed,
			0, runReply{201, "", ""}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hook atomic.Int64
			addr := startRun(t, tc.args, Options{
				RateLimitStore: func(context.Context) (middleware.RateLimitStore, error) {
					hook.Add(1)
					return tc.store, nil
				},
				OnStoreError: tc.mode,
			})
			if diff := cmp.Diff(tc.want, send(t, addr, "POST")); diff != "" {
				t.Errorf("POST (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(runReply{200, "", ""}, send(t, addr, "GET")); diff != "" {
				t.Errorf("GET (-want +got):\n%s", diff)
			}
			if got := hook.Load(); got != tc.hook {
				t.Errorf("the hook was called %d times, want %d", got, tc.hook)
			}
			if got := tc.store.calls.Load(); got != tc.takes {
				t.Errorf("the store's Take was called %d times, want %d", got, tc.takes)
			}
		})
	}
}

// TestRunPostLimitZeroIsNoLimit: with -post-limit 0, a client posts more
// than the default limit, and no answer carries the headers.
func TestRunPostLimitZeroIsNoLimit(t *testing.T) {
	addr := startRun(t, []string{"-post-limit", "0"}, Options{})
	for i := range DefaultPostLimit + 1 {
		if got := send(t, addr, "POST"); got != (runReply{Status: 201}) {
			t.Fatalf("POST %d = %+v, want 201 without RateLimit headers", i+1, got)
		}
	}
}

// TestRunHookErrorStopsBeforeListening: an error of
// Options.RateLimitStore is Run's, before the data file is opened or
// anything listens.
func TestRunHookErrorStopsBeforeListening(t *testing.T) {
	cause := errors.New("no store at that address")
	data := filepath.Join(t.TempDir(), "comments.json")
	err := Run(t.Context(), flag.NewFlagSet("comments", flag.ContinueOnError), []string{"-addr", "127.0.0.1:0", "-data", data}, io.Discard, Options{
		Listening:      func(net.Addr) { t.Error("Run listened") },
		RateLimitStore: func(context.Context) (middleware.RateLimitStore, error) { return nil, cause },
	})
	if !errors.Is(err, cause) || err.Error() != "rate limit store: no store at that address" {
		t.Errorf("Run = %v, want the hook's error, wrapped", err)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data file was opened after the hook failed: %v", err)
	}
}

// TestRunParsesTheCallersFlags: a flag the caller defines on Run's flag
// set is listed by -h and parsed before the hook is called; an unknown
// OnStoreError is refused before the hook.
func TestRunParsesTheCallersFlags(t *testing.T) {
	newFlags := func() (*flag.FlagSet, *string) {
		flags := flag.NewFlagSet("comments", flag.ContinueOnError)
		return flags, flags.String("store-addr", "", "where the shared store is")
	}
	flags, _ := newFlags()
	var usage strings.Builder
	if err := Run(t.Context(), flags, []string{"-h"}, &usage, Options{}); !errors.Is(err, flag.ErrHelp) || !strings.Contains(usage.String(), "-store-addr") {
		t.Errorf("Run -h = %v, printing %q; want flag.ErrHelp and a usage that lists -store-addr", err, usage.String())
	}

	flags, storeAddr := newFlags()
	var seen string
	stop := errors.New("stop here")
	err := Run(t.Context(), flags, []string{"-addr", "127.0.0.1:0", "-store-addr", "10.0.0.1:6379"}, io.Discard, Options{
		RateLimitStore: func(context.Context) (middleware.RateLimitStore, error) {
			seen = *storeAddr
			return nil, stop
		},
	})
	if !errors.Is(err, stop) || seen != "10.0.0.1:6379" {
		t.Errorf("Run = %v, the hook saw -store-addr %q; want the hook's error after it saw 10.0.0.1:6379", err, seen)
	}

	flags, _ = newFlags()
	err = Run(t.Context(), flags, []string{"-addr", "127.0.0.1:0"}, io.Discard, Options{
		RateLimitStore: func(context.Context) (middleware.RateLimitStore, error) {
			t.Error("the hook was called with an unknown OnStoreError")
			return nil, nil
		},
		OnStoreError: 7,
	})
	if want := "middleware: RateLimit has an unknown OnStoreError 7"; err == nil || err.Error() != want {
		t.Errorf("Run with OnStoreError 7 = %v, want %q", err, want)
	}
}

// TestRunOptionsMiddlewareWrapsTheServer: Options.Middleware's middleware
// is around every answer; its error stops Run before it listens.
func TestRunOptionsMiddlewareWrapsTheServer(t *testing.T) {
	var seen atomic.Int64
	addr := startRun(t, nil, Options{Middleware: func(context.Context) (func(http.Handler) http.Handler, error) {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen.Add(1)
				next.ServeHTTP(w, r)
			})
		}, nil
	}})
	if got := send(t, addr, "GET"); got.Status != 200 || seen.Load() != 1 {
		t.Errorf("GET: %d, the middleware saw %d requests; want 200 and 1", got.Status, seen.Load())
	}
	boom := errors.New("no registry")
	err := Run(t.Context(), flag.NewFlagSet("comments", flag.ContinueOnError), []string{"-addr", "127.0.0.1:0"}, io.Discard, Options{
		Listening:  func(net.Addr) { t.Error("Run listened") },
		Middleware: func(context.Context) (func(http.Handler) http.Handler, error) { return nil, boom },
	})
	if !errors.Is(err, boom) {
		t.Errorf("Run = %v, want the middleware's error", err)
	}
}
