package middleware_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/microkit-go/micro/middleware"
)

func ExampleRecover() {
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ids []int
		_ = ids[len(r.URL.Path)] // panics: index out of range
	})
	// Logger before Recover: the panic and its stack go into the request's
	// log line; the client gets a 500 problem without them.
	h := middleware.Logger(slog.New(slog.DiscardHandler))(middleware.Recover()(route))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(w.Body)
	// Output:
	// 500 application/problem+json
	// {"type":"about:blank","title":"Internal Server Error","status":500}
}
