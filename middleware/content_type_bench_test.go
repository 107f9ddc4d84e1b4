package middleware_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/middleware"
)

func BenchmarkContentType(b *testing.B) {
	r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	benchAgainst(b, r, middleware.ContentType("application/json")(ok), "gorilla", handlers.ContentTypeHandler(ok, "application/json"))
}
