package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

// One route with ETags: the first GET gets the tag of its body, and a GET
// that sends it back in If-None-Match gets a 304 without the body.
func ExampleETag() {
	comments := middleware.ETag()(micro.Handler(func(r *http.Request) (any, error) {
		return []string{"first!", "hello"}, nil
	}))

	w := httptest.NewRecorder()
	comments.ServeHTTP(w, httptest.NewRequest("GET", "/api/comments", nil))
	etag := w.Header().Get("ETag")
	fmt.Println(w.Code, etag, w.Body.String())

	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	comments.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("ETag") == etag, w.Body.Len())
	// Output:
	// 200 "_EhaLRNs-eRiqHNW8ThuqQ" ["first!","hello"]
	// 304 true 0
}
