package middleware_test

import (
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// BenchmarkCrossOriginTrusted: a cross-site POST from a trusted origin,
// exact (net/http's own map lookup, as the baseline) and through a
// pattern (net/http refuses, then the pattern matches).
func BenchmarkCrossOriginTrusted(b *testing.B) {
	h := middleware.CrossOrigin("https://app.example.com", "https://*.apps.example.com")(ok)
	for _, tc := range []struct{ name, origin string }{
		{"origin=exact", "https://app.example.com"},
		{"origin=pattern", "https://tenant.apps.example.com"},
	} {
		r := httptest.NewRequest("POST", "https://api.example.com/", nil)
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", tc.origin)
		b.Run(tc.name+"/impl=micro", func(b *testing.B) { testkit.Bench(b, h, r) })
		if tc.name == "origin=exact" {
			b.Run(tc.name+"/impl=nethttp", func(b *testing.B) { testkit.Bench(b, newCOP().Handler(ok), r) })
		}
	}
}

// BenchmarkCrossOrigin: a same-origin POST, through ours and through
// net/http's CrossOriginProtection.
func BenchmarkCrossOrigin(b *testing.B) {
	r := httptest.NewRequest("POST", "https://api.example.com/", nil)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	benchAgainst(b, r, middleware.CrossOrigin("https://app.example.com")(ok), "nethttp", newCOP().Handler(ok))
}
