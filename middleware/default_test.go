package middleware_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro/middleware"
)

func TestDefaultPanicsWithoutALogger(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Default without a Logger did not panic")
		}
	}()
	middleware.Default(middleware.DefaultConfig{})
}

func TestDefaultBodyLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int64
		size  int
		want  int
	}{
		{"zero means 1 MiB: 1 MiB passes", 0, 1 << 20, 200},
		{"zero means 1 MiB: one byte more is 413", 0, 1<<20 + 1, 413},
		{"a set limit", 10, 11, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := middleware.Default(middleware.DefaultConfig{
				Logger:    slog.New(slog.DiscardHandler),
				BodyLimit: tc.limit,
			}).Then(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					http.Error(w, "", http.StatusRequestEntityTooLarge)
				}
			}))
			w := serve(h, httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", tc.size))))
			if w.Code != tc.want {
				t.Errorf("status %d, want %d", w.Code, tc.want)
			}
		})
	}
}

// TestDefaultOrder checks the consequences of the order Default documents.
func TestDefaultOrder(t *testing.T) {
	var logs logSink
	h := middleware.Default(middleware.DefaultConfig{
		Logger: logs.logger(),
		CORS:   &middleware.CORSConfig{AllowedOrigins: []string{"https://app.example.com"}},
	}).Then(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("route bug")
	}))

	// A panic deep in the chain: a 500 problem that still carries the
	// request ID and the CORS headers (so the page can read it), and one
	// ERROR line with the request ID and the panic.
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("X-Request-ID", "order-1")
	r.Header.Set("Accept-Encoding", "gzip")
	w := serve(h, r)
	if p := decodeProblem(t, w); p.Status != 500 || w.Header().Get("X-Request-ID") != "order-1" ||
		w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("status %d, headers %v", w.Code, w.Header())
	}
	lines := logs.lines(t)
	if len(lines) != 1 || lines[0]["request_id"] != "order-1" || lines[0]["error"] != "middleware: panic: route bug" {
		t.Errorf("log lines %v", lines)
	}

	// Without CORS configured, no CORS headers at all.
	plain := middleware.Default(middleware.DefaultConfig{Logger: slog.New(slog.DiscardHandler)}).Then(ok)
	if w := serve(plain, r); w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") == "Origin" {
		t.Errorf("CORS headers without CORS configured: %v", w.Header())
	}
}
