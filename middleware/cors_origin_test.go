package middleware_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro/middleware"
)

// TestOriginPatternOverAPublicSuffixIsRefused: "https://*.github.io"
// would let every GitHub Pages site in, with credentials; CORS and
// CrossOrigin refuse a pattern whose base is a public suffix (ICANN or
// private section of the Public Suffix List), a top-level domain or an IP
// address, and accept one under a registrable domain.
func TestOriginPatternOverAPublicSuffixIsRefused(t *testing.T) {
	for _, tc := range []struct{ origin, want string }{
		{"https://*.github.io", `public suffix "github.io"`},
		{"https://*.co.uk", `public suffix "co.uk"`},
		{"https://*.herokuapp.com", `public suffix "herokuapp.com"`},
		{"https://*.blogspot.com", `public suffix "blogspot.com"`},
		{"https://*.GitHub.IO", `public suffix "github.io"`},
		{"http://*.github.io:8080", `public suffix "github.io"`},
		{"https://*.com", "whole top-level domain"},
		{"https://*.localhost", "whole top-level domain"},
		{"https://*.0.0.1", "IP address"},
		{"https://*.compute-1.amazonaws.com", `public suffixes "*.compute-1.amazonaws.com"`},
		{"https://*.kawasaki.jp", `public suffixes "*.kawasaki.jp"`},
		{"https://*.city.kawasaki.jp", ""},
		{"https://*.amazonaws.com", ""},
		{"https://example.com", ""},
		{"https://*.example.com", ""},
		{"https://*.example.co.uk", ""},
		{"https://*.myapp.github.io", ""},
		{"https://*.internal.corp", ""},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			cors := middleware.CORSConfig{AllowedOrigins: []string{tc.origin}, AllowCredentials: true}.Validate()
			cross := middleware.ValidateCrossOrigin(tc.origin)
			for name, err := range map[string]error{"CORS": cors, "CrossOrigin": cross} {
				switch {
				case tc.want == "" && err != nil:
					t.Errorf("%s: %v, want it accepted", name, err)
				case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
					t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
				}
			}
		})
	}
}

// TestOriginPatternRefusesSitesUnderANestedPublicSuffix: amazonaws.com is
// no public suffix, so "https://*.amazonaws.com" is accepted, but
// s3.amazonaws.com below it is one: anyone's bucket is a site there
// (evil.s3.amazonaws.com), and neither CORS nor CrossOrigin may let it in
// with credentials. Hosts whose public suffix lies above the pattern's
// base (under one owner's registrable domain) still match.
func TestOriginPatternRefusesSitesUnderANestedPublicSuffix(t *testing.T) {
	patterns := []string{"https://*.amazonaws.com", "https://*.mine.s3.amazonaws.com", "https://*.example.com:8443"}
	cors := middleware.CORS(middleware.CORSConfig{AllowedOrigins: patterns, AllowCredentials: true})(ok)
	cross := middleware.CrossOrigin(patterns...)(ok)
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"https://app.amazonaws.com", true},
		{"https://a.b.amazonaws.com", true},
		{"https://a.b.mine.s3.amazonaws.com", true},
		{"https://a.b.example.com:8443", true},
		{"https://evil.s3.amazonaws.com", false},
		{"https://EVIL.S3.AmazonAWS.com", false},
		{"https://a.evil.s3.amazonaws.com", false},
		{"https://evil.s3-website-us-east-1.amazonaws.com", false},
		{"https://evil.s3.dualstack.us-east-1.amazonaws.com", false},
		{"https://ec2-192-0-2-1.compute-1.amazonaws.com", false},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://api.example.net/", nil)
			r.Header.Set("Origin", tc.origin)
			got := serve(cors, r).Header().Get("Access-Control-Allow-Origin")
			if (got == tc.origin) != tc.want || (got != "" && got != tc.origin) {
				t.Errorf("CORS: Access-Control-Allow-Origin %q, want it granted: %v", got, tc.want)
			}
			r = httptest.NewRequest("POST", "http://api.example.net/", nil)
			r.Header.Set("Origin", tc.origin)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			want := 403
			if tc.want {
				want = 200
			}
			if w := serve(cross, r); w.Code != want {
				t.Errorf("CrossOrigin: cross-site POST: status %d, want %d", w.Code, want)
			}
		})
	}
}
