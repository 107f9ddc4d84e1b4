package middleware_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func BenchmarkLogger(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "bench")
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b.Run("impl=bare", func(b *testing.B) { testkit.Bench(b, ok, r) })
	b.Run("impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.Logger(l)(ok), r) })
	b.Run("impl=gorilla", func(b *testing.B) { testkit.Bench(b, handlers.LoggingHandler(io.Discard, ok), r) })
}

func BenchmarkAccessLog(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "bench")
	b.Run("impl=bare", func(b *testing.B) { testkit.Bench(b, ok, r) })
	b.Run("impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.AccessLog(io.Discard)(ok), r) })
	b.Run("impl=gorilla", func(b *testing.B) { testkit.Bench(b, handlers.CombinedLoggingHandler(io.Discard, ok), r) })
}
