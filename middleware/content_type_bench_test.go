package middleware_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func BenchmarkContentType(b *testing.B) {
	r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	b.Run("impl=bare", func(b *testing.B) { testkit.Bench(b, ok, r) })
	b.Run("impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.ContentType("application/json")(ok), r) })
	b.Run("impl=gorilla", func(b *testing.B) { testkit.Bench(b, handlers.ContentTypeHandler(ok, "application/json"), r) })
}

func BenchmarkCrossOrigin(b *testing.B) {
	r := httptest.NewRequest("POST", "https://api.example.com/", nil)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	b.Run("impl=bare", func(b *testing.B) { testkit.Bench(b, ok, r) })
	b.Run("impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.CrossOrigin("https://app.example.com")(ok), r) })
	b.Run("impl=nethttp", func(b *testing.B) { testkit.Bench(b, newCOP().Handler(ok), r) })
}
