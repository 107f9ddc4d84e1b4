package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	micro "github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

var errChainSecret = errors.New("database password is hunter2")

func TestChainUnclassifiedErrorIsOneErrorLineWithoutLeakingTheError(t *testing.T) {
	for _, tc := range chainTimeouts {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("GET /fail", micro.Handler(func(r *http.Request) (any, error) {
				return nil, fmt.Errorf("loading: %w", errChainSecret)
			}))
			e := chainStart(t, tc.d, mux)
			res := e.do(t, e.req(t, "GET", "/fail", nil, "Origin", chainOrigin, "Accept-Encoding", "gzip"))
			if res.status != 500 {
				t.Fatalf("status %d, want 500", res.status)
			}
			want := testkit.ProblemBody{Type: "about:blank", Title: "Internal Server Error", Status: 500}
			if diff := cmp.Diff(want, res.problem(t)); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if bytes.Contains(res.body(t), []byte("hunter2")) {
				t.Errorf("the error text reached the client: %s", res.body(t))
			}
			chainCORSOK(t, res.header)
			line := chainOnly(t, e.finish(t), "/fail")
			if line.Level != "ERROR" || line.Status != 500 || !strings.Contains(line.Error, "hunter2") {
				t.Errorf("log line %+v, want ERROR, 500 and the error", line)
			}
			if line.RequestID == "" || line.RequestID != res.header.Get("X-Request-Id") {
				t.Errorf("request_id %q, response X-Request-ID %q", line.RequestID, res.header.Get("X-Request-Id"))
			}
			if line.ClientIP != "127.0.0.1" {
				t.Errorf("client_ip %q, want 127.0.0.1", line.ClientIP)
			}
			if line.Bytes != int64(len(res.raw)) {
				t.Errorf("bytes %d, %d on the wire", line.Bytes, len(res.raw))
			}
		})
	}
}

func TestChainPanicIsA500WithTheStackAndTheServerKeepsServing(t *testing.T) {
	for _, tc := range chainTimeouts {
		for _, route := range []string{"/plain-panic", "/micro-panic"} {
			t.Run(tc.name+route, func(t *testing.T) {
				mux := http.NewServeMux()
				mux.HandleFunc("GET /plain-panic", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					panic("plain boom")
				})
				mux.Handle("GET /micro-panic", micro.Handler(func(r *http.Request) (any, error) {
					panic("micro boom")
				}))
				mux.HandleFunc("GET /after", func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.WriteString(w, "still here")
				})
				e := chainStart(t, tc.d, mux)
				res := e.do(t, e.req(t, "GET", route, nil, "Origin", chainOrigin, "Accept-Encoding", "gzip"))
				if res.status != 500 {
					t.Fatalf("status %d, want 500", res.status)
				}
				want := testkit.ProblemBody{Type: "about:blank", Title: "Internal Server Error", Status: 500}
				if diff := cmp.Diff(want, res.problem(t)); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
				if bytes.Contains(res.raw, []byte("boom")) || bytes.Contains(res.raw, []byte("goroutine")) {
					t.Errorf("panic details reached the client: %s", res.raw)
				}
				chainCORSOK(t, res.header)
				after := e.do(t, e.req(t, "GET", "/after", nil))
				if after.status != 200 || string(after.raw) != "still here" {
					t.Errorf("after the panic: %d %q", after.status, after.raw)
				}
				lines := e.finish(t)
				if len(lines) != 2 {
					t.Fatalf("%d log lines, want 2 (the panic, then /after): %+v", len(lines), lines)
				}
				line := chainOnly(t, lines[:1], route)
				if line.Level != "ERROR" || line.Status != 500 || !strings.Contains(line.Error, "boom") {
					t.Errorf("log line %+v, want ERROR, 500 and the panic value", line)
				}
				if !strings.Contains(line.Stack, "goroutine ") {
					t.Errorf("no stack in the log line: %q", line.Stack)
				}
				if line.RequestID != res.header.Get("X-Request-Id") {
					t.Errorf("request_id %q, response X-Request-ID %q", line.RequestID, res.header.Get("X-Request-Id"))
				}
				// Through Timeout too: the panic is panicked again in the
				// caller's goroutine with the route goroutine's stack.
				if !strings.Contains(line.Stack, "chain_errors_test.go") {
					t.Errorf("the stack does not show the route:\n%s", line.Stack)
				}
			})
		}
	}
}

func TestChainSlowRouteGets503AtTheDeadlineAndLeavesNoGoroutine(t *testing.T) {
	const timeout = 50 * time.Millisecond
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	lateWrite := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /warm", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release // ignores its context
		w.Header().Set("Content-Type", "text/plain")
		_, err := io.WriteString(w, "too late")
		lateWrite <- err
	})
	e := chainStart(t, timeout, mux)
	e.do(t, e.req(t, "GET", "/warm", nil)) // the connection and its goroutines exist from here
	before := runtime.NumGoroutine()

	got := make(chan chainRes, 1)
	failed := make(chan error, 1)
	slow := e.req(t, "GET", "/slow", nil, "Origin", chainOrigin, "Accept-Encoding", "gzip")
	go func() {
		res, err := e.fetch(slow)
		if err != nil {
			failed <- err
			return
		}
		got <- res
	}()
	<-entered
	var res chainRes
	select {
	case res = <-got: // while the route is still blocked: the client is not kept waiting
	case err := <-failed:
		close(release)
		t.Fatal(err)
	case <-time.After(chainWait):
		close(release)
		t.Fatal("no response while the route was blocked")
	}
	if res.status != 503 {
		t.Errorf("status %d, want 503", res.status)
	}
	want := testkit.ProblemBody{Type: "about:blank", Title: "Service Unavailable", Status: 503,
		Detail: "the server did not start its response within 50ms"}
	if diff := cmp.Diff(want, res.problem(t)); diff != "" {
		t.Errorf("problem (-want +got):\n%s", diff)
	}
	chainCORSOK(t, res.header)
	if got := res.header.Get("Access-Control-Expose-Headers"); got != "X-Request-Id" {
		t.Errorf("Access-Control-Expose-Headers %q", got)
	}
	id := res.header.Get("X-Request-Id")
	if id == "" {
		t.Error("no X-Request-ID on the 503")
	}

	close(release)
	if err := <-lateWrite; !errors.Is(err, http.ErrHandlerTimeout) {
		t.Errorf("a write after the 503: %v, want http.ErrHandlerTimeout", err)
	}
	deadline := time.Now().Add(chainWait)
	for n := runtime.NumGoroutine(); n > before; n = runtime.NumGoroutine() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the slow request:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
	lines := e.finish(t)
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2 (/warm, /slow): %+v", len(lines), lines)
	}
	line := chainOnly(t, lines[1:], "/slow")
	if line.Level != "ERROR" || line.Status != 503 || line.RequestID != id {
		t.Errorf("log line %+v, want ERROR 503 with request_id %q", line, id)
	}
	if !strings.Contains(line.Error, "did not start") {
		t.Errorf("error %q, want the timeout", line.Error)
	}
}

func TestChainClientDisconnectCancelsTheRouteAndIsLoggedOnceAs499(t *testing.T) {
	for _, tc := range chainTimeouts {
		t.Run(tc.name, func(t *testing.T) {
			entered := make(chan struct{}, 1)
			seen := make(chan error, 1)
			mux := http.NewServeMux()
			mux.Handle("GET /wait", micro.Handler(func(r *http.Request) (any, error) {
				entered <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-time.After(chainWait):
				}
				seen <- r.Context().Err()
				return nil, r.Context().Err()
			}))
			e := chainStart(t, tc.d, mux)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				res, err := e.client.Do(e.req(t, "GET", "/wait", nil).WithContext(ctx))
				if err == nil {
					res.Body.Close()
				}
				done <- err
			}()
			<-entered
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("client: %v, want context.Canceled", err)
			}
			if err := <-seen; !errors.Is(err, context.Canceled) {
				t.Errorf("the route's context: %v, want context.Canceled", err)
			}
			line := chainOnly(t, e.finish(t), "/wait")
			if line.Status != 499 || line.Level != "WARN" {
				t.Errorf("log line %+v, want WARN 499", line)
			}
		})
	}
}

func TestChainBodyOverTheLimitIs413WithCORSHeaders(t *testing.T) {
	type comment struct {
		Text string `json:"text"`
	}
	doc := []byte(`{"text":"` + strings.Repeat("a", 2*chainBodyLimit) + `"}`)
	for _, tc := range chainTimeouts {
		for _, chunked := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/chunked=%v", tc.name, chunked), func(t *testing.T) {
				read := make(chan error, 1)
				mux := http.NewServeMux()
				mux.Handle("POST /comments", micro.Handler(func(r *http.Request) (any, error) {
					_, err := micro.JSON[comment](r)
					read <- err
					if err != nil {
						return nil, err
					}
					return "accepted", nil
				}))
				e := chainStart(t, tc.d, mux)
				var body io.Reader = bytes.NewReader(doc)
				if chunked {
					body = io.MultiReader(body) // no length: sent chunked
				}
				r := e.req(t, "POST", "/comments", body,
					"Content-Type", "application/json", "Origin", chainOrigin, "Sec-Fetch-Site", "cross-site")
				if chunked && r.ContentLength != 0 {
					t.Fatalf("ContentLength %d: not chunked", r.ContentLength)
				}
				res := e.do(t, r)
				if res.status != 413 {
					t.Fatalf("status %d, want 413; body %q", res.status, res.raw)
				}
				want := testkit.ProblemBody{Type: "about:blank", Title: "Request Entity Too Large", Status: 413,
					Detail: fmt.Sprintf("Body exceeded %d byte limit", chainBodyLimit)}
				if diff := cmp.Diff(want, res.problem(t)); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
				chainCORSOK(t, res.header)
				line := chainOnly(t, e.finish(t), "/comments")
				if line.Status != 413 || line.Level != "WARN" {
					t.Errorf("log line %+v, want WARN 413", line)
				}
				if chunked {
					if err := <-read; err == nil {
						t.Error("micro.JSON read the whole body")
					}
				} else if len(read) != 0 {
					t.Error("a declared over-limit body reached the route")
				}
			})
		}
	}
}
