package middleware_test

import (
	"context"
	"errors"
	"fmt"
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

// Logger, Recover and ErrorLogger report what goes wrong in a route:
// Recover answers a panic with a 500 problem and hands it on as the
// request's error, which Logger puts in the request's line and ErrorLogger
// logs alone. Most of their tests run two of them together, so they share
// this file.

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
				"request_id": "req-1", "client_ip": "192.0.2.7", "user_agent": "test-agent"}
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

func TestRecoverAnswersAPanicWith500AndLogsTheStack(t *testing.T) {
	var logs testkit.Log
	h := middleware.ErrorLogger(logs.JSONLogger(slog.LevelDebug))(middleware.Recover()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html") // replaced by the problem's
		panic("secret internal state")
	})))
	w := serve(h, httptest.NewRequest("GET", "/x", nil))
	p := testkit.RecordedProblem(t, w)
	if w.Code != 500 || p.Status != 500 || p.Detail != "" || strings.Contains(w.Body.String(), "secret") {
		t.Errorf("status %d, body %s", w.Code, w.Body)
	}
	lines := logs.Lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1: %v", len(lines), lines)
	}
	if lines[0]["error"] != "panic: secret internal state" || !strings.Contains(lines[0]["stack"].(string), "logger_test.go") {
		t.Errorf("log line %v", lines[0])
	}
}

func TestRecoverRepanicsErrAbortHandler(t *testing.T) {
	h := middleware.Recover()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	serve(h, httptest.NewRequest("GET", "/", nil))
}

func TestRecoverAbortsAStartedResponse(t *testing.T) {
	var logs testkit.Log
	h := middleware.ErrorLogger(logs.JSONLogger(slog.LevelDebug))(middleware.Recover()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic(errors.New("mid-stream"))
	})))
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(b) != "partial" || err == nil {
		t.Errorf("status %d, body %q, read error %v: want 200, the partial body and a broken connection", res.StatusCode, b, err)
	}
	// The server keeps serving.
	res2, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if lines := logs.Lines(t); len(lines) < 1 || lines[0]["error"] != "panic: mid-stream" {
		t.Errorf("log lines %v", lines)
	}
}

func TestRecoverPassesNormalResponses(t *testing.T) {
	w := serve(middleware.Recover()(ok), httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || w.Body.String() != "ok" {
		t.Errorf("status %d, body %q", w.Code, w.Body)
	}
}

func TestRecoverHandsThePanicToLogger(t *testing.T) {
	var logs testkit.Log
	h := middleware.Logger(logs.JSONLogger(slog.LevelDebug))(middleware.Recover()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	})))
	w := serve(h, httptest.NewRequest("GET", "/p", nil))
	lines := logs.Lines(t)
	if w.Code != 500 || len(lines) != 1 {
		t.Fatalf("status %d, log lines %v: want 500 and one line", w.Code, lines)
	}
	l := lines[0]
	if l["level"] != "ERROR" || l["status"] != 500.0 || l["error"] != "panic: boom" || !strings.Contains(l["stack"].(string), "logger_test.go") {
		t.Errorf("log line %v", l)
	}
}

func TestErrorLoggerNilPanics(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "ErrorLogger") {
			t.Errorf("ErrorLogger(nil) panicked with %v, want a message that names ErrorLogger", p)
		}
	}()
	middleware.ErrorLogger(nil)
}

func BenchmarkRecover(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	benchAgainst(b, r, middleware.Recover()(ok), "gorilla", handlers.RecoveryHandler()(ok))
}

func BenchmarkLogger(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "bench")
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	benchAgainst(b, r, middleware.Logger(l)(ok), "gorilla", handlers.LoggingHandler(io.Discard, ok))
}
