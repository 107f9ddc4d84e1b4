package micro_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/microkit-go/micro"
)

func ExampleRoutes() {
	mux := http.NewServeMux()
	mux.Handle("GET /api/comments", micro.Handler(func(r *http.Request) (any, error) {
		return []Comment{{"First"}}, nil
	}))
	h := micro.Routes(mux)

	// A method the path has no pattern for: 405, with ServeMux's Allow.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("DELETE", "/api/comments", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"), "Allow:", w.Header().Get("Allow"))
	fmt.Println(w.Body.String())

	// A path no pattern matches: 404.
	show(h, httptest.NewRequest("GET", "/api/nothing", nil))
	// Output:
	// 405 application/problem+json Allow: GET, HEAD
	// {"type":"about:blank","title":"Method Not Allowed","status":405,"detail":"Method DELETE is not allowed; allowed: GET, HEAD"}
	// 404 application/problem+json
	// {"type":"about:blank","title":"Not Found","status":404,"detail":"No route for /api/nothing"}
}
