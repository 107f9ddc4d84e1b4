package middleware_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/middleware"
)

func BenchmarkLogger(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "bench")
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	benchAgainst(b, r, middleware.Logger(l)(ok), "gorilla", handlers.LoggingHandler(io.Discard, ok))
}
