package middleware_test

import (
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro/middleware"
)

func TestCrossOriginPanicsOnABadOrigin(t *testing.T) {
	for _, o := range []string{"example.com", "https://example.com/path", "https://example.com?q", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("CrossOrigin(%q) did not panic", o)
				}
			}()
			middleware.CrossOrigin(o)
		}()
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
				if p := decodeProblem(t, w); p.Detail != "Cross-origin request refused" {
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
