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
