package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

func ExampleBodyLimit() {
	type comment struct {
		Text string `json:"text"`
	}
	route := micro.Handler(func(r *http.Request) (any, error) {
		return micro.JSON[comment](r) // its 413 for a cut body matches BodyLimit's
	})
	h := middleware.BodyLimit(32)(route)

	for _, body := range []string{`{"text":"short"}`, `{"text":"` + strings.Repeat("long ", 10) + `"}`} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body)
	}
	// Output:
	// 200 {"text":"short"}
	// 413 {"type":"about:blank","title":"Request Entity Too Large","status":413,"detail":"Body exceeded 32 byte limit"}
}

// The chain's limit is the body helpers' default: a server owner sets it
// once, and a route that needs less says so with micro.Limit.
func ExampleBodyLimit_helpers() {
	size := func(opts ...micro.BodyOption) micro.Handler {
		return func(r *http.Request) (any, error) {
			b, err := micro.Buffer(r, opts...)
			return len(b), err
		}
	}
	chain := middleware.BodyLimit(10 << 20)
	body := strings.Repeat("x", 2<<20) // 2 MiB, over micro.DefaultLimit
	for _, h := range []http.Handler{chain(size()), chain(size(micro.Limit(1 << 20)))} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(body)))
		fmt.Println(w.Code, w.Body)
	}
	// Output:
	// 200 2097152
	// 413 {"type":"about:blank","title":"Request Entity Too Large","status":413,"detail":"Body exceeded 1048576 byte limit"}
}
