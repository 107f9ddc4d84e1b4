package middleware_test

import (
	"net/http/httptest"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/middleware"
)

func BenchmarkRecover(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	benchAgainst(b, r, middleware.Recover()(ok), "gorilla", handlers.RecoveryHandler()(ok))
}
