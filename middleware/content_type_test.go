package middleware_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestContentTypePanicsOnBadConfig(t *testing.T) {
	for name, types := range map[string][]string{
		"empty":      nil,
		"not a type": {"json"},
		"parameters": {"application/json; charset=utf-8"},
		"any":        {"*/*"},
	} {
		if testkit.Recover(func() { middleware.ContentType(types...) }) == nil {
			t.Errorf("%s: ContentType(%q) did not panic", name, types)
		}
	}
}

func TestContentType(t *testing.T) {
	h := middleware.ContentType("application/json", "text/*")(ok)
	for _, tc := range []struct {
		name, method, ctype, body string
		chunked                   bool
		status                    int
		detail                    string
	}{
		{"wrong type is 415", "POST", "application/xml", "<a/>", false, 415, `Unsupported Content-Type "application/xml"; expected application/json, text/*`},
		{"body without Content-Type is 415", "PUT", "", "{}", false, 415, "A request body needs a Content-Type; expected application/json, text/*"},
		{"chunked body with wrong type is 415", "POST", "image/png", "x", true, 415, `Unsupported Content-Type "image/png"; expected application/json, text/*`},
		{"suffix look-alike is 415", "POST", "application/jsonx", "{}", false, 415, `Unsupported Content-Type "application/jsonx"; expected application/json, text/*`},
		{"type with empty subtype is 415", "POST", "text/", "x", false, 415, `Unsupported Content-Type "text/"; expected application/json, text/*`},
		{"long value is cut", "POST", strings.Repeat("a", 100), "x", false, 415, `Unsupported Content-Type "` + strings.Repeat("a", 64) + `…"; expected application/json, text/*`},
		{"DELETE with a body is checked", "DELETE", "application/xml", "x", false, 415, `Unsupported Content-Type "application/xml"; expected application/json, text/*`},
		{"mixed case with parameters passes", "POST", " Application/JSON ; charset=utf-8", "{}", false, 200, ""},
		{"wildcard subtype passes", "POST", "text/csv", "a,b", false, 200, ""},
		{"bodyless POST passes", "POST", "", "", false, 200, ""},
		{"GET passes", "GET", "", "", false, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			r := httptest.NewRequest(tc.method, "/", body)
			if tc.chunked {
				r.ContentLength = -1
			}
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			w := serve(h, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.status != 200 {
				if p := testkit.RecordedProblem(t, w); p.Detail != tc.detail {
					t.Errorf("detail %q\nwant   %q", p.Detail, tc.detail)
				}
			}
		})
	}
}

func BenchmarkContentType(b *testing.B) {
	r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	benchAgainst(b, r, middleware.ContentType("application/json")(ok), "gorilla", handlers.ContentTypeHandler(ok, "application/json"))
}
