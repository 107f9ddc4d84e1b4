package middleware_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

func ExampleRecover() {
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ids []int
		_ = ids[len(r.URL.Path)] // panics: index out of range
	})
	// Logger before Recover: the panic and its stack go into the request's
	// log line; the client gets a 500 problem without them.
	h := middleware.Logger(slog.New(slog.DiscardHandler))(middleware.Recover()(route))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(w.Body)
	// Output:
	// 500 application/problem+json
	// {"type":"about:blank","title":"Internal Server Error","status":500}
}

func ExampleErrorLogger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	}))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/comments", func(w http.ResponseWriter, r *http.Request) {
		send.Error(w, r, errors.New("database is down"))
	})
	h := middleware.ErrorLogger(logger)(mux)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/comments", nil))
	// Output:
	// level=ERROR msg="unhandled error" method=POST path=/api/comments route="POST /api/comments" status=500 error="database is down"
}
