package middleware_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

func TestLoggerPanicsWithoutALogger(t *testing.T) {
	if testkit.Recover(func() { middleware.Logger(nil) }) == nil {
		t.Error("Logger(nil) did not panic")
	}
}

// ignoreDuration leaves the measured duration out of comparisons.
var ignoreDuration = cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "duration" || k == "time" || k == "stack" })

func TestLoggerLogsOneLinePerRequest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		route http.Handler
		want  map[string]any
	}{
		{
			name: "5xx from send.Error carries the cause, once",
			route: micro.Handler(func(r *http.Request) (any, error) {
				return nil, errors.New("database is down")
			}),
			want: map[string]any{"level": "ERROR", "status": 500.0, "error": "database is down"},
		},
		{
			name: "public 5xx carries its cause",
			route: micro.Handler(func(r *http.Request) (any, error) {
				return nil, micro.Errorf(503, "maintenance")
			}),
			want: map[string]any{"level": "ERROR", "status": 503.0, "error": "maintenance"},
		},
		{
			name: "4xx is a warning without cause",
			route: micro.Handler(func(r *http.Request) (any, error) {
				return nil, micro.Errorf(404, "no such comment")
			}),
			want: map[string]any{"level": "WARN", "status": 404.0},
		},
		{
			name: "panic in micro.Handler",
			route: micro.Handler(func(r *http.Request) (any, error) {
				panic("boom")
			}),
			want: map[string]any{"level": "ERROR", "status": 500.0, "error": "panic: boom"},
		},
		{
			name:  "nothing written is 200",
			route: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
			want:  map[string]any{"level": "INFO", "status": 200.0, "bytes": 0.0},
		},
		{
			name: "bytes through io.Copy are counted",
			route: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(w, strings.NewReader(strings.Repeat("x", 5000)))
			}),
			want: map[string]any{"level": "INFO", "status": 200.0, "bytes": 5000.0},
		},
		{
			name: "204",
			route: micro.Handler(func(r *http.Request) (any, error) {
				return nil, nil
			}),
			want: map[string]any{"level": "INFO", "status": 204.0, "bytes": 0.0},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs testkit.Log
			h := middleware.RequestID()(middleware.Logger(logs.JSONLogger(slog.LevelDebug))(tc.route))
			r := httptest.NewRequest("GET", "/api/x?q=1", nil)
			r.Header.Set("X-Request-ID", "req-1")
			r.Header.Set("User-Agent", "test-agent")
			r.RemoteAddr = "192.0.2.7:4000"
			w := serve(h, r)
			want := map[string]any{"bytes": float64(w.Body.Len()), "msg": "request", "method": "GET", "path": "/api/x",
				"route": "unmatched", "request_id": "req-1", "client_ip": "192.0.2.7", "user_agent": "test-agent"}
			for k, v := range tc.want {
				want[k] = v
			}
			lines := logs.Lines(t)
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1: %v", len(lines), lines)
			}
			if d := cmp.Diff(want, lines[0], ignoreDuration); d != "" {
				t.Errorf("log line (-want +got):\n%s", d)
			}
			if _, ok := lines[0]["duration"]; !ok {
				t.Error("no duration")
			}
		})
	}
}

func TestLoggerLogsAPanicThatPassesThrough(t *testing.T) {
	var logs testkit.Log
	h := middleware.Logger(logs.JSONLogger(slog.LevelDebug))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("unrecovered")
	}))
	func() {
		defer func() {
			if p := recover(); p != "unrecovered" {
				t.Errorf("recovered %v, want the panic re-panicked", p)
			}
		}()
		serve(h, httptest.NewRequest("GET", "/", nil))
	}()
	lines := logs.Lines(t)
	if len(lines) != 1 || lines[0]["status"] != 500.0 || lines[0]["error"] != "panic: unrecovered" {
		t.Errorf("log lines %v", lines)
	}
}

func TestLoggerLogsAnAbortWithoutError(t *testing.T) {
	var logs testkit.Log
	h := middleware.Logger(logs.JSONLogger(slog.LevelDebug))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("part"))
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() { _ = recover() }()
		serve(h, httptest.NewRequest("GET", "/", nil))
	}()
	lines := logs.Lines(t)
	if len(lines) != 1 || lines[0]["status"] != 200.0 || lines[0]["bytes"] != 4.0 || lines[0]["error"] != nil {
		t.Errorf("log lines %v", lines)
	}
}

func TestLoggerRespectsTheLevel(t *testing.T) {
	var logs testkit.Log
	h := middleware.Logger(logs.JSONLogger(slog.LevelWarn))(ok)
	serve(h, httptest.NewRequest("GET", "/", nil))
	if logs.String() != "" {
		t.Errorf("Info line written at Warn level: %s", logs.String())
	}
}

func TestLoggerLogsAClientThatLeftOnce(t *testing.T) {
	var logs testkit.Log
	h := middleware.Logger(logs.JSONLogger(slog.LevelDebug))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		cancel()
		send.Error(w, r.WithContext(ctx), ctx.Err()) // client gone: Debug line to this logger
	}))
	serve(h, httptest.NewRequest("GET", "/", nil))
	// One line: the request's, with 499; send.Error's own Debug line for a
	// client that left is left out, since Logger reports the request.
	lines := logs.Lines(t)
	if len(lines) != 1 || lines[0]["msg"] != "request" || lines[0]["status"] != 499.0 || lines[0]["level"] != "WARN" {
		t.Errorf("log lines %v", lines)
	}
}

func TestLoggerStatusOfUnparseablePeer(t *testing.T) {
	var logs testkit.Log
	h := middleware.Logger(logs.JSONLogger(slog.LevelDebug))(ok)
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "@"
	serve(h, r)
	if l := logs.Lines(t); l[0]["client_ip"] != "" {
		t.Errorf("client_ip %v, want empty", l[0]["client_ip"])
	}
}

func BenchmarkLogger(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "bench")
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	benchAgainst(b, r, middleware.Logger(l)(ok), "gorilla", handlers.LoggingHandler(io.Discard, ok))
}
