package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestRequestIDRefusesUnsafeIncomingIDs(t *testing.T) {
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for name, incoming := range map[string][]string{
		"empty":                  {""},
		"65 characters":          {strings.Repeat("a", 65)},
		"CR LF injection":        {"abc\r\nSet-Cookie: x=1"},
		"space":                  {"abc def"},
		"quote":                  {`abc"`},
		"slash":                  {"a/b"},
		"non-ASCII":              {"abcé"},
		"NUL":                    {"abc\x00"},
		"unsafe first of two":    {"a b", "good"},
		"JSON breaking":          {`","level":"ERROR`},
		"percent-encoded CR LF":  {"%0d%0a"},
		"log-forging backslash":  {`a\nb`},
		"colon":                  {"a:b"},
		"only spaces":            {"   "},
		"tab":                    {"a\tb"},
		"64 chars plus one byte": {strings.Repeat("Z", 64) + "."},
	} {
		t.Run(name, func(t *testing.T) {
			var seen string
			h := middleware.RequestID()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = middleware.RequestIDFrom(r)
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.Header[middleware.RequestIDHeader] = incoming
			w := serve(h, r)
			if !generated.MatchString(seen) {
				t.Errorf("RequestIDFrom = %q, want a generated ID", seen)
			}
			if got := w.Header().Get("X-Request-ID"); got != seen {
				t.Errorf("response X-Request-ID = %q, want %q", got, seen)
			}
		})
	}
}

func TestRequestIDKeepsSafeIncomingIDs(t *testing.T) {
	for _, id := range []string{"a", "abc-123_DEF.456", strings.Repeat("x", 64), "01J9Z6K8Q7"} {
		var seen string
		h := middleware.RequestID()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = middleware.RequestIDFrom(r)
		}))
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("x-request-id", id)
		w := serve(h, r)
		if seen != id || w.Header().Get("X-Request-ID") != id {
			t.Errorf("incoming %q: seen %q, response %q", id, seen, w.Header().Get("X-Request-ID"))
		}
	}
}

func TestRequestIDGeneratesDistinctIDs(t *testing.T) {
	h := middleware.RequestID()(ok)
	seen := map[string]bool{}
	for range 1000 {
		id := serve(h, httptest.NewRequest("GET", "/", nil)).Header().Get("X-Request-ID")
		if seen[id] {
			t.Fatalf("ID %q generated twice", id)
		}
		seen[id] = true
	}
}

func TestRequestIDFromWithoutMiddlewareIsEmpty(t *testing.T) {
	if id := middleware.RequestIDFrom(httptest.NewRequest("GET", "/", nil)); id != "" {
		t.Errorf("RequestIDFrom = %q, want empty", id)
	}
}

func TestRequestIDSurvivesErrorResponses(t *testing.T) {
	h := middleware.RequestID()(middleware.BodyLimit(1)(ok))
	r := httptest.NewRequest("POST", "/", strings.NewReader("too long"))
	r.Header.Set("X-Request-ID", "trace-1")
	w := serve(h, r)
	if w.Code != http.StatusRequestEntityTooLarge || w.Header().Get("X-Request-ID") != "trace-1" {
		t.Errorf("status %d, X-Request-ID %q", w.Code, w.Header().Get("X-Request-ID"))
	}
}

func BenchmarkRequestID(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	b.Run("case=generated/impl=bare", func(b *testing.B) { testkit.Bench(b, ok, r) })
	b.Run("case=generated/impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.RequestID()(ok), r) })
	in := httptest.NewRequest("GET", "/", nil)
	in.Header.Set("X-Request-ID", "0123456789abcdef0123456789abcdef")
	b.Run("case=incoming/impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.RequestID()(ok), in) })
}
