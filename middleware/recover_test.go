package middleware_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

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
	if lines[0]["error"] != "panic: secret internal state" || !strings.Contains(lines[0]["stack"].(string), "recover_test.go") {
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
	if l["level"] != "ERROR" || l["status"] != 500.0 || l["error"] != "panic: boom" || !strings.Contains(l["stack"].(string), "recover_test.go") {
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
