package api

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/justinas/alice"
	"github.com/microkit-go/micro/middleware"
)

// Config is what the command line sets for the middleware chain.
type Config struct {
	Logger      *slog.Logger // gets one line per request
	CORSOrigins []string     // pages on other origins that may call the API with cookies
	CookieKey   []byte       // signs the visitor cookie; at least 32 bytes

	// TrustedProxies are the load balancers or proxies in front of the
	// server whose X-Forwarded-For is believed (see middleware.ClientIP):
	// behind one, the per-client limit on posts needs them, or every
	// client is the proxy.
	TrustedProxies []netip.Prefix

	// PostLimit, when not nil, limits POST /api/comments per client
	// address (unless it sets its own Key): a refused POST is a 429
	// problem with Retry-After, and every POST answer carries the
	// RateLimit-Policy and RateLimit headers. GETs are never limited. nil
	// means no limit.
	PostLimit *middleware.RateLimitConfig
}

// routeTimeout is how long a route may take before it gets a 503.
const routeTimeout = 10 * time.Second

// MaxBody is the request body limit: a comment of 1000 characters, in
// JSON, needs far less than 64 KiB.
const MaxBody = 64 << 10

// NewHandler returns [Routes] behind the full middleware chain of [Chain].
// It panics on a configuration that [Config.Validate] refuses.
func NewHandler(s *Store, cfg Config) http.Handler {
	return Chain(cfg).Then(Routes(s, cfg))
}

// Chain returns the full middleware chain: request IDs, client IP, one
// log line per request, panic recovery, CORS for cfg.CORSOrigins with
// credentials, CSRF protection for cookie-carrying writes trusting the
// same origins, a 64 KiB body limit, gzip, signed cookies and a timeout.
// It panics on a configuration that [Config.Validate] refuses.
func Chain(cfg Config) alice.Chain {
	chain, cookies := cfg.middleware()
	return middleware.Default(chain).Append(
		middleware.Cookies(cookies),
		middleware.Timeout(routeTimeout),
	)
}

// Validate reports, as a message for the command line, what the
// middleware of [Chain] and the limit of [Routes] would refuse in cfg;
// nil when they accept cfg.
func (cfg Config) Validate() error {
	chain, cookies := cfg.middleware()
	var limit error
	if cfg.PostLimit != nil {
		limit = cfg.PostLimit.Validate()
	}
	return errors.Join(chain.Validate(), cookies.Validate(), middleware.ValidateTimeout(routeTimeout), limit)
}

// middleware returns the configurations of Chain's middleware.
func (cfg Config) middleware() (middleware.DefaultConfig, middleware.CookiesConfig) {
	var cors *middleware.CORSConfig
	if len(cfg.CORSOrigins) > 0 {
		cors = &middleware.CORSConfig{
			AllowedOrigins: cfg.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost},
			// If-Match: a post only onto the list the page has (412 else).
			AllowedHeaders: []string{"Content-Type", "X-Requested-With", "If-Match"},
			// Link: the list's paging; ETag: its version, for If-Match;
			// the rest: a page reading a refused post.
			ExposedHeaders:   []string{"X-Request-Id", "Link", "ETag", "Retry-After", "RateLimit", "RateLimit-Policy"},
			AllowCredentials: true,
			MaxAge:           10 * time.Minute,
		}
	}
	chain := middleware.DefaultConfig{Logger: cfg.Logger, CORS: cors, BodyLimit: MaxBody, TrustedProxies: cfg.TrustedProxies}
	return chain, middleware.CookiesConfig{Keys: [][]byte{cfg.CookieKey}}
}
