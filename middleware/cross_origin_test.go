package middleware_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestCrossOriginPanicsOnABadOrigin(t *testing.T) {
	for _, o := range []string{"example.com", "https://example.com/path", "https://example.com?q", ""} {
		if testkit.Recover(func() { middleware.CrossOrigin(o) }) == nil {
			t.Errorf("CrossOrigin(%q) did not panic", o)
		}
	}
}

func TestCrossOrigin(t *testing.T) {
	h := middleware.CrossOrigin("https://app.example.com")(ok)
	for _, tc := range []struct {
		name   string
		method string
		header map[string]string
		status int
	}{
		{"cross-site POST is refused", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"same-site POST is refused", "POST", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://other.example.com"}, 403},
		{"cross-origin DELETE without Sec-Fetch-Site is refused by Origin", "DELETE", map[string]string{"Origin": "https://evil.example", "Host": "api.example.com"}, 403},
		{"look-alike of a trusted origin is refused", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com.evil.example"}, 403},
		{"trusted origin passes", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com"}, 200},
		{"same-origin POST passes", "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"non-browser POST passes", "POST", nil, 200},
		{"cross-site GET passes", "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://api.example.com/", nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := serve(h, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.status == 403 {
				if p := testkit.RecordedProblem(t, w); p.Detail != "Cross-origin request refused" {
					t.Errorf("detail %q", p.Detail)
				}
			}
		})
	}
}

// TestCrossOriginLowersTrustedOrigins: browsers send origins in lower case,
// so a trusted origin configured with capitals must still match them, as it
// does in CORS.
func TestCrossOriginLowersTrustedOrigins(t *testing.T) {
	h := middleware.CrossOrigin("HTTPS://App.Example.com:8443")(ok)
	r := httptest.NewRequest("POST", "http://api.example.com/", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", "https://app.example.com:8443")
	if w := serve(h, r); w.Code != 200 {
		t.Errorf("POST from the trusted origin, configured with capitals: status %d, want 200", w.Code)
	}
}

// TestCrossOriginTrustsPatterns: a trusted pattern is matched as CORS
// matches it, so the subdomains CORS allows can write, and nothing else.
func TestCrossOriginTrustsPatterns(t *testing.T) {
	h := middleware.CrossOrigin("https://*.example.com", "http://*.dev.example.net:8080")(ok)
	for _, tc := range []struct {
		site, origin string
		want         int
	}{
		{"same-site", "https://app.example.com", 200},
		{"same-site", "https://a.b.example.com", 200},
		{"same-site", "HTTPS://App.Example.COM", 200},
		{"cross-site", "http://x.dev.example.net:8080", 200},
		{"", "https://app.example.com", 200}, // an older browser: Origin only
		{"same-site", "https://example.com", 403},
		{"same-site", "http://app.example.com", 403},
		{"same-site", "https://app.example.com:8443", 403},
		{"cross-site", "https://app.example.com.evil.example", 403},
		{"cross-site", "https://evilexample.com", 403},
		{"cross-site", "http://x.dev.example.net", 403},
		{"", "https://evil.example", 403},
	} {
		t.Run(tc.site+" "+tc.origin, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://api.example.org/", nil)
			if tc.site != "" {
				r.Header.Set("Sec-Fetch-Site", tc.site)
			}
			r.Header.Set("Origin", tc.origin)
			if w := serve(h, r); w.Code != tc.want {
				t.Errorf("status %d, want %d", w.Code, tc.want)
			}
		})
	}
	r := httptest.NewRequest("POST", "http://api.example.org/", nil)
	r.Header["Origin"] = []string{"https://app.example.com", "https://evil.example"}
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if w := serve(h, r); w.Code != 403 {
		t.Errorf("two Origin lines, the first matching: status %d, want 403", w.Code)
	}
}

// TestCrossOriginRefusesOtherPatterns: a trusted origin is a serialized
// origin or a "scheme://*.host[:port]" pattern; anything else is refused
// at construction with a message saying why, never accepted to match
// nothing.
func TestCrossOriginRefusesOtherPatterns(t *testing.T) {
	for _, tc := range []struct{ origin, want string }{
		{"*", `"*" that is not the whole first label`},
		{"https://*", `"*" that is not the whole first label`},
		{"https://*example.com", `"*" that is not the whole first label`},
		{"https://a.*.example.com", `"*" that is not the whole first label`},
		{"https://example.*", `"*" that is not the whole first label`},
		{"*.example.com", `"*" that is not the whole first label`},
		{"https://*.example.com/api", "must not have a path"},
		{"https://app.example.com/", "must not have a path"},
		{"null", "is unsafe"},
		{"https://*.com", "whole top-level domain"},
		{"https://*.github.io", `public suffix "github.io"`},
		{"https://app.example.com:443", "omit the default port 443"},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			want := fmt.Sprintf("middleware: CrossOrigin: trusted origin %q ", tc.origin)
			msg := panicMessage(func() { middleware.CrossOrigin(tc.origin) })
			if !strings.HasPrefix(msg, want) || !strings.Contains(msg, tc.want) {
				t.Errorf("panic = %q, want one starting %q containing %q", msg, want, tc.want)
			}
		})
	}
}

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
