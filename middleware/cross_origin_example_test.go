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

func ExampleCrossOrigin_pattern() {
	// Pages on every subdomain of example.com may write, as the CORS
	// config "https://*.example.com" lets them read.
	h := middleware.CrossOrigin("https://*.example.com")(ok)

	for _, origin := range []string{"https://app.example.com", "https://a.b.example.com", "https://example.com.evil.example"} {
		r := httptest.NewRequest("POST", "https://api.example.org/transfer", nil)
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", origin)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(origin, w.Code)
	}
	fmt.Println(middleware.ValidateCrossOrigin("https://*.github.io"))
	// Output:
	// https://app.example.com 200
	// https://a.b.example.com 200
	// https://example.com.evil.example 403
	// middleware: CrossOrigin: trusted origin "https://*.github.io" is a pattern over the public suffix "github.io" (Public Suffix List), whose subdomains belong to different owners; list the origins, or a pattern under a domain you own
}
