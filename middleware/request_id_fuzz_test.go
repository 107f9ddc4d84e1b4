package middleware

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	// fuzzRequestIDSafe is the documented rule for a client's X-Request-ID.
	fuzzRequestIDSafe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	// fuzzRequestIDNew is the form of a generated ID.
	fuzzRequestIDNew = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// FuzzRequestID checks safeToken against the regexp of its doc
// comment, and the RequestID middleware: the ID it sets (response header,
// one value, and RequestIDFrom) is always safe, is the client's first
// X-Request-ID line exactly when that one is safe, and is otherwise 32
// lower-case hex digits.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{
		"abc-123", "a.b_c-D", "", " ", "x\r\nSet-Cookie: a=b", "x y", `"q"`, "é", "\x00",
		strings.Repeat("a", 64), strings.Repeat("a", 65), "ok\nsecond", "\nsecond-is-ignored", "a\u212a",
	} {
		f.Add(s)
	}
	h := RequestID()
	f.Fuzz(func(t *testing.T, header string) {
		lines := strings.Split(header, "\n")
		first := lines[0]
		safe := fuzzRequestIDSafe.MatchString(first)
		if got := safeToken(first); got != safe {
			t.Fatalf("safeToken(%q) = %v, the regexp says %v", first, got, safe)
		}

		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header[RequestIDHeader] = lines
		w := httptest.NewRecorder()
		var from string
		h(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			from = RequestIDFrom(r)
		})).ServeHTTP(w, r)
		got := w.Header()[RequestIDHeader]
		switch {
		case len(got) != 1 || got[0] != from:
			t.Fatalf("X-Request-Id %q, RequestIDFrom %q: want one value, the same", got, from)
		case !fuzzRequestIDSafe.MatchString(from):
			t.Fatalf("ID %q set for the header %q is not safe", from, lines)
		case safe && from != first:
			t.Fatalf("safe ID %q replaced with %q", first, from)
		case !safe && !fuzzRequestIDNew.MatchString(from):
			t.Fatalf("unsafe ID %q replaced with %q, not 32 hex digits", first, from)
		case !slices.Equal(r.Header[RequestIDHeader], lines):
			t.Fatalf("request header changed to %q", r.Header[RequestIDHeader])
		}
	})
}
