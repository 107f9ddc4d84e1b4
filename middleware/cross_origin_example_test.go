package middleware_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/microkit-go/micro/middleware"
)

func ExampleCrossOrigin() {
	// A cookie-authenticated API whose page lives on app.example.com.
	h := middleware.CrossOrigin("https://app.example.com")(ok)

	for _, origin := range []string{"https://app.example.com", "https://evil.example"} {
		r := httptest.NewRequest("POST", "https://api.example.com/transfer", nil)
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", origin)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(origin, w.Code)
	}
	// Output:
	// https://app.example.com 200
	// https://evil.example 403
}
