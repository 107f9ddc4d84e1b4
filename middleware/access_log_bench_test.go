package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// BenchmarkAccessLogLine measures the line of a browser's request, whose
// fields need no escaping, and of a hostile one, whose user, Referer and
// User-Agent are full of quotes, line breaks and non-ASCII bytes; against
// the handler alone and gorilla's CombinedLoggingHandler (which leaves the
// user unescaped).
func BenchmarkAccessLogLine(b *testing.B) {
	browser := httptest.NewRequest("GET", "/api/comments?page=2", nil)
	browser.RemoteAddr = "192.0.2.1:51234"
	browser.Header.Set("Referer", "https://app.example.com/comments")
	browser.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")

	hostile := httptest.NewRequest("GET", "/api/comments?page=2", nil)
	hostile.RemoteAddr = "192.0.2.1:51234"
	hostile.URL.User = url.User("x\n198.51.100.66 - - [07/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 0 \"-\" \"-\"")
	hostile.Header.Set("Referer", "https://a.example/\"\r\n\"é\\")
	hostile.Header.Set("User-Agent", "\"\n\x1b[31mÜnïcödé\x7f\xff\"\n\"\\ ")

	for _, req := range []struct {
		name string
		r    *http.Request
	}{{"browser", browser}, {"hostile", hostile}} {
		b.Run("req="+req.name+"/impl=bare", func(b *testing.B) { testkit.Bench(b, ok, req.r) })
		b.Run("req="+req.name+"/impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.AccessLog(io.Discard)(ok), req.r) })
		b.Run("req="+req.name+"/impl=gorilla", func(b *testing.B) { testkit.Bench(b, handlers.CombinedLoggingHandler(io.Discard, ok), req.r) })
	}
}

// BenchmarkAccessLogInAChain measures AccessLog behind ClientIP, which has
// already cloned the request for the chain's state: AccessLog adds no
// allocation of its own.
func BenchmarkAccessLogInAChain(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "bench")
	clientIP := middleware.ClientIP()
	b.Run("impl=ClientIP", func(b *testing.B) { testkit.Bench(b, clientIP(ok), r) })
	b.Run("impl=ClientIP+AccessLog", func(b *testing.B) {
		testkit.Bench(b, clientIP(middleware.AccessLog(io.Discard)(ok)), r)
	})
}

// BenchmarkAccessLog measures a plain request's line, against the
// handler alone and gorilla's CombinedLoggingHandler.
func BenchmarkAccessLog(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "bench")
	benchAgainst(b, r, middleware.AccessLog(io.Discard)(ok), "gorilla", handlers.CombinedLoggingHandler(io.Discard, ok))
}
