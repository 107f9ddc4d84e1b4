package middleware_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

func ExampleLogger() {
	// A text logger without times, so the output is stable.
	l := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "time" || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	route := micro.Handler(func(r *http.Request) (any, error) {
		if r.URL.Query().Has("fail") {
			return nil, errors.New("database is down") // logged in the request's line, not sent
		}
		return map[string]string{"hello": "world"}, nil
	})
	mux := http.NewServeMux()
	mux.Handle("GET /hello", route)
	h := middleware.RequestID()(middleware.Logger(l)(mux))

	for _, target := range []string{"/hello", "/hello?fail", "/nowhere"} {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("X-Request-ID", "r1")
		r.Header.Set("User-Agent", "example")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// level=INFO msg=request method=GET path=/hello route="GET /hello" status=200 bytes=17 request_id=r1 client_ip=192.0.2.1 user_agent=example
	// level=ERROR msg=request method=GET path=/hello route="GET /hello" status=500 bytes=67 request_id=r1 client_ip=192.0.2.1 user_agent=example error="database is down"
	// level=WARN msg=request method=GET path=/nowhere route=unmatched status=404 bytes=19 request_id=r1 client_ip=192.0.2.1 user_agent=example
}
