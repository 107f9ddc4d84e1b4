package middleware_test

import (
	"net/http/httptest"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func BenchmarkRecover(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	b.Run("impl=bare", func(b *testing.B) { testkit.Bench(b, ok, r) })
	b.Run("impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.Recover()(ok), r) })
	b.Run("impl=gorilla", func(b *testing.B) { testkit.Bench(b, handlers.RecoveryHandler()(ok), r) })
}
