package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/microkit-go/micro/middleware"
)

func ExampleCORS() {
	cors := middleware.CORS(middleware.CORSConfig{
		AllowedOrigins:   []string{"https://app.example.com", "https://*.preview.example.com"},
		AllowedMethods:   []string{"GET", "POST", "DELETE"},
		AllowedHeaders:   []string{"Content-Type"},
		ExposedHeaders:   []string{"X-Total-Count"},
		AllowCredentials: true,
		MaxAge:           10 * time.Minute,
	})
	h := cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Total-Count", "3")
		fmt.Fprintln(w, "comments")
	}))

	show := func(method, origin, requestMethod string) {
		r := httptest.NewRequest(method, "/api/comments", nil)
		r.Header.Set("Origin", origin)
		if requestMethod != "" {
			r.Header.Set("Access-Control-Request-Method", requestMethod)
			r.Header.Set("Access-Control-Request-Headers", "content-type")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(method, origin, "→", w.Code)
		for _, k := range []string{
			"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
			"Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
			"Access-Control-Max-Age", "Access-Control-Expose-Headers", "Vary",
		} {
			if v := w.Header().Get(k); v != "" {
				fmt.Printf("  %s: %s\n", k, v)
			}
		}
	}
	show("OPTIONS", "https://app.example.com", "DELETE") // preflight
	show("GET", "https://pr-42.preview.example.com", "")
	show("GET", "https://app.example.com.evil.com", "") // look-alike: no CORS headers
	// Output:
	// OPTIONS https://app.example.com → 204
	//   Access-Control-Allow-Origin: https://app.example.com
	//   Access-Control-Allow-Credentials: true
	//   Access-Control-Allow-Methods: GET, POST, DELETE
	//   Access-Control-Allow-Headers: content-type
	//   Access-Control-Max-Age: 600
	//   Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
	// GET https://pr-42.preview.example.com → 200
	//   Access-Control-Allow-Origin: https://pr-42.preview.example.com
	//   Access-Control-Allow-Credentials: true
	//   Access-Control-Expose-Headers: X-Total-Count
	//   Vary: Origin
	// GET https://app.example.com.evil.com → 200
	//   Vary: Origin
}
