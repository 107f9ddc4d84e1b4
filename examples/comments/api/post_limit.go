package api

import (
	"net/http"
	"time"

	"github.com/microkit-go/micro/middleware"
)

// DefaultPostLimit and DefaultPostWindow are the command's limit on
// POST /api/comments: 10 comments a minute per client address, 10 of
// them at once (the burst), restored at one every 6 s.
const (
	DefaultPostLimit  = 10
	DefaultPostWindow = time.Minute
)

// postLimit returns the [Config] PostLimit of limit comments per window
// per client address (a burst of limit), kept in store (nil: the
// limiter's own memory) and decided by onStoreError while store fails. A
// limit of 0 returns nil: no limit. It checks nothing: [Config.Validate]
// reports a limit below 0, or a window that is not a whole number of
// seconds, with the message of [middleware.RateLimitConfig.Validate].
func postLimit(limit int64, window time.Duration, store middleware.RateLimitStore, onStoreError middleware.RateLimitFailure) *middleware.RateLimitConfig {
	if limit == 0 {
		return nil
	}
	return &middleware.RateLimitConfig{
		Limit:        limit,
		Window:       window,
		Store:        store,
		OnStoreError: onStoreError,
	}
}

// limitPosts returns h behind the limiter of cfg.PostLimit, or h itself
// when cfg has none. It panics on a limit that [Config.Validate]
// refuses.
func limitPosts(h http.Handler, cfg Config) http.Handler {
	if cfg.PostLimit == nil {
		return h
	}
	return middleware.NewRateLimiter(*cfg.PostLimit).Handler(h)
}
