package api

import (
	"net/http/httptest"
	"testing"
)

// TestCommentsHaveETags: a page's ETag comes back as a 304 until a comment
// is added to it, through the whole chain.
func TestCommentsHaveETags(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(seed), testConfig(t)))
	defer srv.Close()
	for _, path := range []string{"/api/comments", "/api/comments/hello-world"} {
		t.Run(path, func(t *testing.T) {
			first := fetch(t, srv, "GET", path, "", nil)
			etag := first.Header.Get("ETag")
			if first.Status != 200 || etag == "" {
				t.Fatalf("GET: %d, ETag %q; want 200 with an ETag", first.Status, etag)
			}
			again := fetch(t, srv, "GET", path, "", map[string]string{"If-None-Match": etag})
			if again.Status != 304 || again.Body != "" || again.Header.Get("ETag") != etag {
				t.Errorf("GET with If-None-Match: %d, ETag %q, body %q; want 304, %q, none",
					again.Status, again.Header.Get("ETag"), again.Body, etag)
			}
		})
	}
	before := fetch(t, srv, "GET", "/api/comments", "", nil).Header.Get("ETag")
	if res := fetch(t, srv, "POST", "/api/comments", `{"comment":"new"}`, map[string]string{"Content-Type": "application/json"}); res.Status != 201 {
		t.Fatalf("POST: %d; want 201", res.Status)
	}
	after := fetch(t, srv, "GET", "/api/comments", "", map[string]string{"If-None-Match": before})
	if after.Status != 200 || after.Header.Get("ETag") == before {
		t.Errorf("GET after a POST with the old ETag: %d, ETag %q; want 200 with a new ETag", after.Status, after.Header.Get("ETag"))
	}
}
