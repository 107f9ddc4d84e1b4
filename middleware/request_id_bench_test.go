package middleware_test

import (
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func BenchmarkRequestID(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	b.Run("case=generated/impl=bare", func(b *testing.B) { testkit.Bench(b, ok, r) })
	b.Run("case=generated/impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.RequestID()(ok), r) })
	in := httptest.NewRequest("GET", "/", nil)
	in.Header.Set("X-Request-ID", "0123456789abcdef0123456789abcdef")
	b.Run("case=incoming/impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.RequestID()(ok), in) })
}
