package middleware_test

import (
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
