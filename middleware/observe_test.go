package middleware_test

import (
	"context"
	"errors"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// observed serves one request through Observe and h, behind Recover when
// recover is set, and returns the one Observation the hook saw.
func observed(t *testing.T, h http.Handler, r *http.Request) middleware.Observation {
	t.Helper()
	var got []middleware.Observation
	var mu sync.Mutex
	hook := func(_ *http.Request, o middleware.Observation) {
		mu.Lock()
		got = append(got, o)
		mu.Unlock()
	}
	middleware.Recover()(middleware.Observe(hook)(h)).ServeHTTP(httptest.NewRecorder(), r)
	if len(got) != 1 {
		t.Fatalf("the hook was called %d times, want 1", len(got))
	}
	if got[0].Start.IsZero() || got[0].Duration < 0 {
		t.Errorf("Start %v, Duration %v", got[0].Start, got[0].Duration)
	}
	return got[0]
}

func TestObserveAccountsForEachRequest(t *testing.T) {
	down := errors.New("database is down")
	mux := http.NewServeMux()
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(*http.Request) (any, error) { return map[string]int{"id": 7}, nil }))
	mux.Handle("POST /api/comments", micro.Handler(func(r *http.Request) (any, error) {
		c, err := micro.JSON[map[string]string](r)
		return c, err
	}))
	mux.Handle("GET /down", micro.Handler(func(*http.Request) (any, error) { return nil, down }))
	mux.Handle("GET /panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	mux.Handle("GET /gone", micro.Handler(func(r *http.Request) (any, error) { return nil, r.Context().Err() }))
	mux.Handle("GET /stream", micro.Handler(func(r *http.Request) (any, error) {
		return micro.Stream(iter.Seq[int](func(yield func(int) bool) {
			for i := range 5 {
				if !yield(i) {
					return
				}
			}
		})), nil
	}))
	ignore := cmpopts.IgnoreFields(middleware.Observation{}, "Start", "Duration", "Cause")
	for _, c := range []struct {
		name  string
		req   func() *http.Request
		want  middleware.Observation
		cause string
	}{
		{"a route", func() *http.Request { return httptest.NewRequest("GET", "/api/comments/7", nil) },
			middleware.Observation{Method: "GET", Route: "GET /api/comments/{id}", Status: 200, BytesOut: 8}, ""},
		{"unmatched", func() *http.Request { return httptest.NewRequest("GET", "/nowhere", nil) },
			middleware.Observation{Method: "GET", Route: "unmatched", Status: 404, BytesOut: 19}, ""},
		{"a body read", func() *http.Request {
			r := httptest.NewRequest("POST", "/api/comments", strings.NewReader(`{"comment":"hello"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, middleware.Observation{Method: "POST", Route: "POST /api/comments", Status: 200, BytesIn: 19, BytesOut: 19}, ""},
		{"a 5xx and its cause", func() *http.Request { return httptest.NewRequest("GET", "/down", nil) },
			middleware.Observation{Method: "GET", Route: "GET /down", Status: 500, BytesOut: 67}, "database is down"},
		{"a panic", func() *http.Request { return httptest.NewRequest("GET", "/panic", nil) },
			middleware.Observation{Method: "GET", Route: "GET /panic", Status: 500}, "panic: boom"},
		{"a HEAD sends no body", func() *http.Request { return httptest.NewRequest("HEAD", "/api/comments/7", nil) },
			middleware.Observation{Method: "HEAD", Route: "GET /api/comments/{id}", Status: 200}, ""},
		{"a client gone", func() *http.Request {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return httptest.NewRequestWithContext(ctx, "GET", "/gone", nil)
		}, middleware.Observation{Method: "GET", Route: "GET /gone", Status: 499, BytesOut: 67, ClientGone: true}, ""},
		{"a stream", func() *http.Request { return httptest.NewRequest("GET", "/stream", nil) },
			middleware.Observation{Method: "GET", Route: "GET /stream", Status: 200, BytesOut: 10, Streamed: true, Items: 5}, ""},
		{"a traced request", func() *http.Request {
			r := httptest.NewRequest("GET", "/nowhere", nil)
			r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			return r
		}, middleware.Observation{Method: "GET", Route: "unmatched", Status: 404, BytesOut: 19,
			TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := observed(t, mux, c.req())
			if diff := cmp.Diff(c.want, o, ignore); diff != "" {
				t.Errorf("observation (-want +got):\n%s", diff)
			}
			switch {
			case c.cause == "" && o.Cause != nil:
				t.Errorf("Cause %v, want none", o.Cause)
			case c.cause != "" && (o.Cause == nil || o.Cause.Error() != c.cause):
				t.Errorf("Cause %v, want %q", o.Cause, c.cause)
			}
		})
	}
}

func TestObserveSeesWhatLoggerLogs(t *testing.T) {
	var log testkit.Log
	var got middleware.Observation
	chain := middleware.Default(middleware.DefaultConfig{Logger: log.JSONLogger(nil),
		Observe: func(_ *http.Request, o middleware.Observation) { got = o }})
	h := chain.Then(micro.Handler(func(*http.Request) (any, error) { return nil, errors.New("db down") }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	lines := log.Lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d lines: %s", len(lines), log.String())
	}
	l := lines[0]
	if got.Status != 500 || l["status"] != float64(500) || got.Cause == nil || l["error"] != got.Cause.Error() ||
		l["bytes"] != float64(got.BytesOut) || l["route"] != got.Route {
		t.Errorf("observation %+v, line %v", got, l)
	}
}

func TestObserveLetsAPanicGoOn(t *testing.T) {
	called := false
	h := middleware.Observe(func(*http.Request, middleware.Observation) { called = true })(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	if p := testkit.Recover(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) }); p != "boom" || !called {
		t.Errorf("panic %v, hook called %v; want the panic to go on after the hook", p, called)
	}
	if p := testkit.Recover(func() { middleware.Observe(nil) }); p == nil {
		t.Error("a nil hook did not panic")
	}
}

func TestObserveAddsNoAllocation(t *testing.T) {
	if testkit.RaceEnabled {
		t.Skip("allocation counts under -race are not the build's")
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
	var seen int
	bare := middleware.RequestID()(ok)
	hooked := middleware.RequestID()(middleware.Observe(func(*http.Request, middleware.Observation) { seen++ })(ok))
	count := func(h http.Handler) float64 {
		w := &testkit.Discard{}
		return testing.AllocsPerRun(200, func() {
			w.Reset()
			r := httptest.NewRequest("POST", "/", nil)
			h.ServeHTTP(w, r)
		})
	}
	// httptest.NewRequest's own allocations are in both counts.
	if a, b := count(bare), count(hooked); b != a {
		t.Errorf("Observe's chain: %v allocations, RequestID's alone: %v", b, a)
	}
	if seen == 0 {
		t.Error("the hook was not called")
	}
}

// BenchmarkObserve is the cost of the hook's account: a chain that
// attaches the state (RequestID) with and without Observe, and with Logger
// over a JSONHandler, which writes its line from the same account.
func BenchmarkObserve(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	var n int
	r := httptest.NewRequest("GET", "/", nil)
	b.Run("impl=requestid", func(b *testing.B) { testkit.Bench(b, middleware.RequestID()(ok), r) })
	b.Run("impl=observe", func(b *testing.B) {
		testkit.Bench(b, middleware.RequestID()(middleware.Observe(func(*http.Request, middleware.Observation) { n++ })(ok)), r)
	})
	b.Run("impl=logger", func(b *testing.B) {
		testkit.Bench(b, middleware.RequestID()(middleware.Logger(slog.New(middleware.NewJSONHandler(io.Discard, nil)))(ok)), r)
	})
}
