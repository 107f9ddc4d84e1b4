package middleware_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

func ExampleDefault() {
	mux := http.NewServeMux()
	mux.Handle("GET /api/hello", micro.Handler(func(r *http.Request) (any, error) {
		return map[string]string{"hello": "world"}, nil
	}))

	chain := middleware.Default(middleware.DefaultConfig{
		Logger: slog.New(slog.DiscardHandler), // slog.New(slog.NewJSONHandler(os.Stderr, nil)) in a server
		CORS: &middleware.CORSConfig{
			AllowedOrigins:   []string{"https://app.example.com"},
			AllowedHeaders:   []string{"Content-Type"},
			AllowCredentials: true,
		},
		BodyLimit: 64 << 10,
	}).Append(
		middleware.Timeout(10 * time.Second),
	)
	h := chain.Then(mux)

	r := httptest.NewRequest("GET", "/api/hello", nil)
	r.Header.Set("Origin", "https://app.example.com")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body)
	fmt.Println("Access-Control-Allow-Origin:", w.Header().Get("Access-Control-Allow-Origin"))
	fmt.Println("X-Request-ID set:", w.Header().Get("X-Request-ID") != "")
	// Output:
	// 200 {"hello":"world"}
	// Access-Control-Allow-Origin: https://app.example.com
	// X-Request-ID set: true
}

// A server configured from flags or the environment checks the whole
// configuration first, and prints what is wrong instead of panicking.
func ExampleDefaultConfig_Validate() {
	cfg := middleware.DefaultConfig{
		Logger: slog.New(slog.DiscardHandler),
		CORS: &middleware.CORSConfig{
			AllowedOrigins:   []string{"https://*.herokuapp.com"}, // as from -cors-origins
			AllowCredentials: true,
		},
	}
	if err := cfg.Validate(); err != nil {
		var ce *middleware.ConfigError
		fmt.Println(errors.As(err, &ce), ce.Middleware)
		fmt.Println(err) // a server: fmt.Fprintln(os.Stderr, err); os.Exit(1)
		return
	}
	_ = middleware.Default(cfg)
	// Output:
	// true CORS
	// middleware: CORS: AllowedOrigins entry "https://*.herokuapp.com" is a pattern over the public suffix "herokuapp.com" (Public Suffix List), whose subdomains belong to different owners; list the origins, or a pattern under a domain you own
}
