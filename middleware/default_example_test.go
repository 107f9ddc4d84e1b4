package middleware_test

import (
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
		middleware.CrossOrigin("https://app.example.com"),
		middleware.Timeout(10*time.Second),
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
