package micro_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/microkit-go/micro"
)

func ExampleRedirect() {
	mux := http.NewServeMux()
	mux.Handle("GET /account", micro.Handler(func(r *http.Request) (any, error) {
		if _, err := r.Cookie("session"); err != nil {
			return micro.Redirect("/login", 0), nil // 307
		}
		return map[string]string{"name": "Ada"}, nil
	}))
	mux.Handle("POST /posts", micro.Handler(func(r *http.Request) (any, error) {
		// After a form post, send the browser to the new page with a GET.
		return micro.Redirect("/posts/42", http.StatusSeeOther), nil
	}))

	for _, r := range []*http.Request{
		httptest.NewRequest("GET", "/account", nil),
		httptest.NewRequest("POST", "/posts", nil),
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Location"), w.Body.Len())
	}
	// Output:
	// 307 /login 0
	// 303 /posts/42 0
}
