package middleware_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"

	"github.com/microkit-go/micro/middleware"
)

func ExampleAccessLog() {
	var out bytes.Buffer // os.Stdout or a log file in a server
	// Recover inside: like gorilla's handler, AccessLog writes no line for a
	// request whose handler panics.
	h := middleware.AccessLog(&out)(middleware.Recover()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("hello, world"))
	})))

	r := httptest.NewRequest("GET", "/hello?lang=en", nil)
	r.RemoteAddr = "203.0.113.5:41234"
	r.Header.Set("Referer", "https://example.com/")
	r.Header.Set("User-Agent", "curl/8.5.0")
	h.ServeHTTP(httptest.NewRecorder(), r)

	// The timestamp changes with every run.
	fmt.Print(regexp.MustCompile(`\[[^\]]+\]`).ReplaceAllString(out.String(), "[time]"))
	// Output:
	// 203.0.113.5 - - [time] "GET /hello?lang=en HTTP/1.1" 200 12 "https://example.com/" "curl/8.5.0"
}

// Behind a load balancer in 10.0.0.0/8, with ClientIP in the chain, the
// line names the client the load balancer saw, not the load balancer. What
// the client wrote is escaped: a User-Agent carrying a line break and a
// whole line of its own stays inside its quotes.
func ExampleAccessLog_behindAProxy() {
	var out bytes.Buffer
	h := middleware.ClientIP(netip.MustParsePrefix("10.0.0.0/8"))(
		middleware.AccessLog(&out)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})))

	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.RemoteAddr = "10.0.0.7:51234"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.Header.Set("User-Agent", "x\"\n198.51.100.66 - - [07/Dec/2026:10:00:00 +0000] \"GET /é")
	h.ServeHTTP(httptest.NewRecorder(), r)

	fmt.Print(regexp.MustCompile(`^([^\[]+)\[[^\]]+\]`).ReplaceAllString(out.String(), "$1[time]"))
	// Output:
	// 203.0.113.9 - - [time] "GET /api/comments HTTP/1.1" 204 0 "-" "x\"\x0a198.51.100.66 - - [07/Dec/2026:10:00:00 +0000] \"GET /\xc3\xa9"
}
