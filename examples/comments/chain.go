package main

import (
	"errors"
	"log/slog"
	"net/http"
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
// newChain; it panics on a configuration that cfg.validate refuses.
func newHandler(s *store, cfg config) http.Handler {
	return newChain(cfg).Then(routes(s, visitors{crossSite: len(cfg.corsOrigins) > 0}))
}

// newChain returns the full middleware chain: request IDs, client IP, one
// log line per request, panic recovery, CORS for -cors-origins with
// credentials, CSRF protection for cookie-carrying writes trusting the
// same origins, a 64 KiB body limit, gzip, signed cookies and a timeout.
// It panics on a configuration that cfg.validate refuses.
func newChain(cfg config) alice.Chain {
	chain, cookies := cfg.middleware()
	return middleware.Default(chain).Append(
		middleware.Cookies(cookies),
		middleware.Timeout(routeTimeout),
	)
}

// validate reports, as a message for the command line, what the
// middleware of newChain would refuse in cfg.
func (cfg config) validate() error {
	chain, cookies := cfg.middleware()
	return errors.Join(chain.Validate(), cookies.Validate(), middleware.ValidateTimeout(routeTimeout))
}

// middleware returns the configurations of newChain's middleware.
func (cfg config) middleware() (middleware.DefaultConfig, middleware.CookieConfig) {
	var cors *middleware.CORSConfig
	if len(cfg.corsOrigins) > 0 {
		cors = &middleware.CORSConfig{
			AllowedOrigins:   cfg.corsOrigins,
			AllowedMethods:   []string{http.MethodGet, http.MethodPost},
			AllowedHeaders:   []string{"Content-Type", "X-Requested-With"},
			ExposedHeaders:   []string{"X-Request-Id", "Link"}, // Link: the list's paging
			AllowCredentials: true,
			MaxAge:           10 * time.Minute,
		}
	}
	chain := middleware.DefaultConfig{Logger: cfg.logger, CORS: cors, BodyLimit: maxBody}
	return chain, middleware.CookieConfig{Keys: [][]byte{cfg.cookieKey}}
}
