package middleware_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
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
