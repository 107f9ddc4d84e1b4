package prommicro_test

import (
	"bufio"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/justinas/alice"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/prommicro"
)

// The metrics of a server: Middleware outside the recommended chain, and
// the /metrics endpoint on the same mux. Every unmatched path counts as one
// route, "unmatched".
func Example() {
	reg := prometheus.NewRegistry()
	m, err := prommicro.New(reg, prommicro.Config{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(r *http.Request) (any, error) {
		return map[string]string{"id": r.PathValue("id")}, nil
	}))
	mux.Handle("GET /metrics", m.Handler())
	chain := alice.New(m.Middleware).Extend(middleware.Default(middleware.DefaultConfig{Logger: slog.New(slog.DiscardHandler)}))
	h := chain.Then(mux)

	for _, path := range []string{"/api/comments/1", "/api/comments/2", "/wp-admin.php", "/.env"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/api/comments/1", nil))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	lines := bufio.NewScanner(w.Body)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "http_server_requests_total{") {
			fmt.Println(lines.Text())
		}
	}
	// Output:
	// http_server_requests_total{http_request_method="GET",http_response_status_code="200",http_route="GET /api/comments/{id}"} 2
	// http_server_requests_total{http_request_method="GET",http_response_status_code="404",http_route="unmatched"} 2
	// http_server_requests_total{http_request_method="_OTHER",http_response_status_code="405",http_route="unmatched"} 1
}
