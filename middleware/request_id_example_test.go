package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/microkit-go/micro/middleware"
)

func ExampleRequestID() {
	h := middleware.RequestID()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("route sees", len(middleware.RequestIDFrom(r)), "characters")
	}))

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Request-ID", "checkout-42") // a safe token: kept
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println("response has", w.Header().Get("X-Request-ID"))

	r.Header.Set("X-Request-ID", "bad\r\nid") // unsafe: replaced
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println("replaced:", len(w.Header().Get("X-Request-ID")) == 32)
	// Output:
	// route sees 11 characters
	// response has checkout-42
	// route sees 32 characters
	// replaced: true
}
