package main

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/justinas/alice"
	"github.com/microkit-go/micro/middleware"
)

// config is what the flags set for the middleware chain.
type config struct {
	logger      *slog.Logger
	corsOrigins []string // pages on other origins that may call the API with cookies
	cookieKey   []byte   // signs the visitor cookie; at least 32 bytes
}

// routeTimeout is how long a route may take before it gets a 503.
const routeTimeout = 10 * time.Second

// maxBody is the request body limit: a comment of 1000 characters, in
// JSON, needs far less than 64 KiB.
const maxBody = 64 << 10

// newHandler returns the routes behind the full middleware chain of
// newChain.
func newHandler(s *store, cfg config) http.Handler {
	return newChain(cfg).Then(routes(s, visitors{crossSite: len(cfg.corsOrigins) > 0}))
}

// newChain returns the full middleware chain: request IDs, client IP, one
// log line per request, panic recovery, CORS for -cors-origins with
// credentials, a 64 KiB body limit, gzip, CSRF protection for
// cookie-carrying writes, signed cookies and a timeout.
func newChain(cfg config) alice.Chain {
	var cors *middleware.CORSConfig
	var trusted []string // CrossOrigin takes exact origins only
	if len(cfg.corsOrigins) > 0 {
		cors = &middleware.CORSConfig{
			AllowedOrigins:   cfg.corsOrigins,
			AllowedMethods:   []string{http.MethodGet, http.MethodPost},
			AllowedHeaders:   []string{"Content-Type", "X-Requested-With"},
			ExposedHeaders:   []string{"X-Request-Id", "Link"}, // Link: the list's paging
			AllowCredentials: true,
			MaxAge:           10 * time.Minute,
		}
		for _, o := range cfg.corsOrigins {
			if !strings.Contains(o, "*") {
				trusted = append(trusted, o)
			}
		}
	}
	return middleware.Default(middleware.DefaultConfig{
		Logger:    cfg.logger,
		CORS:      cors,
		BodyLimit: maxBody,
	}).Append(
		middleware.CrossOrigin(trusted...),
		middleware.Cookies(middleware.CookieConfig{Keys: [][]byte{cfg.cookieKey}}),
		middleware.Timeout(routeTimeout),
	)
}
