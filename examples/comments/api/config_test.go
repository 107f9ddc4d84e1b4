package api

import (
	"net/http/httptest"
	"testing"
)

// TestChainTrustsCORSPatterns: a CORSOrigins pattern is trusted by the
// CSRF protection as CORS allows it, so a page on a subdomain can post;
// a cross-site page, with or without a Content-Type, cannot.
func TestChainTrustsCORSPatterns(t *testing.T) {
	cfg := testConfig(t)
	cfg.CORSOrigins = []string{"https://*.example.com"}
	srv := httptest.NewServer(NewHandler(NewMemoryStore(nil), cfg))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"same-site page of the pattern", map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}, 201},
		{"cross-site beacon, no Content-Type", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Cookie": "visitor=x"}, 403},
		{"curl", nil, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := doReq(t, srv, "POST", "/api/comments", `{"comment":"hi"}`, tc.header)
			if res.StatusCode != tc.want {
				t.Errorf("status %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
}
