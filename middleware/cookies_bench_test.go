package middleware

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/internal/testkit"
)

// cookieBenchHeader is a typical browser Cookie header: five cookies, one
// of them a signed session.
const cookieBenchHeader = "_ga=GA1.2.1234567890.1700000000; theme=dark; lang=en-GB; " +
	"consent=%7B%22ads%22%3Afalse%7D; session="

// cookieBenchSink keeps results alive so the compiler cannot drop the work.
var cookieBenchSink string

// BenchmarkCookies measures a request through the middleware reading one
// cookie, beside a bare handler, net/http's r.Cookies() and the shared
// state attachment that every middleware of the chain pays once.
func BenchmarkCookies(b *testing.B) {
	keys := [][]byte{cookieTestKey(1)}
	header := cookieBenchHeader + cookieSign(keys, "session", "user-42")
	r := cookieTestRequest(header)
	empty := cookieTestRequest()
	read := func(name string, get func(*http.Request, string) (string, bool)) http.Handler {
		return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { cookieBenchSink, _ = get(r, name) })
	}
	cookies := Cookies(CookiesConfig{Keys: keys})

	for _, bb := range []struct {
		name string
		h    http.Handler
		r    *http.Request
	}{
		{"case=CookieFrom/impl=bare", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), r},
		{"case=CookieFrom/impl=attach-only", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			_, s := state.Attach(r)
			cookieBenchSink = s.Data.RequestID
		}), r},
		{"case=CookieFrom/impl=nethttp-Cookies", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			for _, c := range r.Cookies() {
				if c.Name == "theme" {
					cookieBenchSink = c.Value
					break
				}
			}
		}), r},
		{"case=CookieFrom/impl=nethttp", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie("theme"); err == nil {
				cookieBenchSink = c.Value
			}
		}), r},
		{"case=CookieFrom/impl=micro", cookies(read("theme", CookieFrom)), r},
		{"case=no-cookie-header/impl=micro", cookies(read("theme", CookieFrom)), empty},
		{"case=SignedCookie/impl=micro", cookies(read("session", SignedCookieFrom)), r},
		{"case=CookieFrom-without-middleware/impl=micro", read("theme", CookieFrom), r},
	} {
		b.Run(bb.name, func(b *testing.B) { testkit.Bench(b, bb.h, bb.r) })
	}
}

// BenchmarkCookieParse compares the parser alone with net/http's.
func BenchmarkCookieParse(b *testing.B) {
	header := cookieBenchHeader + "dXNlci00Mg.0123456789012345678901234567890123456789012"
	lines := []string{header}
	b.Run("case=parse/impl=nethttp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cs, _ := http.ParseCookie(header)
			cookieBenchSink = cs[1].Value
		}
	})
	b.Run("case=parse/impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cookieBenchSink = cookieParse(lines)["theme"]
		}
	})
	huge := []string{strings.Repeat("a=1; ", 200_000)} // 1 MB, the default header limit
	b.Run("case=parse-1MB-of-duplicates/impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(huge[0])))
		for b.Loop() {
			cookieBenchSink = cookieParse(huge)["a"]
		}
	})
}

// BenchmarkSignedCookie measures verifying a signed cookie, beside the same
// verification written the usual way (gorilla/securecookie's shape): a new
// HMAC per call.
func BenchmarkSignedCookie(b *testing.B) {
	keys := [][]byte{cookieTestKey(1)}
	signed := cookieSign(keys, "session", "user-42")
	r := cookieTestThrough(b, CookiesConfig{Keys: keys}, cookieTestRequest("session="+signed))
	rotated := cookieTestThrough(b, CookiesConfig{Keys: [][]byte{cookieTestKey(2), cookieTestKey(1)}},
		cookieTestRequest("session="+signed))

	b.Run("case=verify/impl=hmac.New-per-call", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, _ := CookieFrom(r, "session")
			enc, sig, _ := strings.Cut(v, ".")
			want, err := base64.RawURLEncoding.DecodeString(sig)
			if err != nil {
				b.Fatal(err)
			}
			h := hmac.New(sha256.New, keys[0])
			h.Write([]byte("session=" + enc))
			if !hmac.Equal(h.Sum(nil), want) {
				b.Fatal("not verified")
			}
			val, _ := base64.RawURLEncoding.DecodeString(enc)
			cookieBenchSink = string(val)
		}
	})
	b.Run("case=verify/impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cookieBenchSink, _ = SignedCookieFrom(r, "session")
		}
	})
	b.Run("case=verify-second-key/impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cookieBenchSink, _ = SignedCookieFrom(rotated, "session")
		}
	})
	b.Run("case=sign/impl=micro", func(b *testing.B) {
		w := httptest.NewRecorder()
		c := &http.Cookie{Name: "session", Value: "user-42", Path: "/", HttpOnly: true, Secure: true}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.Header())
			if err := SetSignedCookie(w, r, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
