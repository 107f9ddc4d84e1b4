package middleware

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/report"
)

// rateLimitHealth asks a [RateLimiter]'s store for decisions, notices when
// it fails, and decides by the configured [RateLimitFailure] until one of
// the requests it lets through every StoreRetry finds it working again. It
// logs one line at each switch.
type rateLimitHealth struct {
	mode    RateLimitFailure
	timeout time.Duration
	retry   time.Duration
	local   *RateLimitMemory // RateLimitFailLocal's store
	log     *slog.Logger     // nil: the request's
	epoch   time.Time        // of the monotonic clock nextTry counts on

	failing atomic.Bool
	nextTry atomic.Int64 // nanoseconds since epoch from which one request may try the store
}

// init configures h from cfg, which has passed Validate.
func (h *rateLimitHealth) init(cfg RateLimitConfig) {
	h.mode = cfg.OnStoreError
	h.timeout = cmp.Or(cfg.StoreTimeout, rateLimitDefaultTimeout)
	h.retry = cmp.Or(cfg.StoreRetry, rateLimitDefaultRetry)
	h.log = cfg.Log
	h.epoch = time.Now()
	if h.mode == RateLimitFailLocal {
		h.local = NewRateLimitMemory(cmp.Or(cfg.LocalKeys, DefaultRateLimitKeys))
	}
}

// decide returns store's decision on charging cost to key, or, while the
// store fails, the failure mode's. known is false when the request was
// admitted without being counted; err is what to send when the request
// cannot be decided: the failure mode's 503, or the request context's
// error once its client went away (which is no failure of the store).
func (h *rateLimitHealth) decide(r *http.Request, store RateLimitStore, key []byte, p RateLimitPolicy, cost int64) (d RateLimitDecision, known bool, err error) {
	if h.failing.Load() && !h.mayTry() {
		return h.fallback(key, p, cost, nil)
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	d, err = store.Take(ctx, string(key), p, cost)
	cancel()
	if err == nil {
		if h.failing.CompareAndSwap(true, false) {
			h.logger(r).LogAttrs(r.Context(), slog.LevelInfo, "rate limit store recovered")
		}
		return d, true, nil
	}
	if cerr := r.Context().Err(); cerr != nil {
		return RateLimitDecision{}, false, cerr
	}
	h.nextTry.Store(int64(time.Since(h.epoch) + h.retry))
	if h.failing.CompareAndSwap(false, true) {
		h.logger(r).LogAttrs(r.Context(), slog.LevelError, "rate limit store failed",
			slog.String("mode", h.mode.String()), slog.Any("error", err))
	}
	return h.fallback(key, p, cost, err)
}

// mayTry reports whether this request is the one of its StoreRetry period
// that tries the failing store again.
func (h *rateLimitHealth) mayTry() bool {
	next := h.nextTry.Load()
	now := int64(time.Since(h.epoch))
	return now >= next && h.nextTry.CompareAndSwap(next, now+int64(h.retry))
}

// fallback decides a request by the failure mode; cause is the store's
// error, when this request saw one.
func (h *rateLimitHealth) fallback(key []byte, p RateLimitPolicy, cost int64, cause error) (RateLimitDecision, bool, error) {
	switch h.mode {
	case RateLimitFailOpen:
		return RateLimitDecision{Allowed: true}, false, nil
	case RateLimitFailLocal:
		return h.local.take(key, p, cost), true, nil
	}
	secs := rateLimitRetryAfter(h.retry)
	return RateLimitDecision{}, false,
		micro.Errorf(http.StatusServiceUnavailable, "Rate limit unavailable: retry in %s s", secs).
			WithHeader("Retry-After", secs).Wrap(cause)
}

// logger returns where the switch lines go.
func (h *rateLimitHealth) logger(r *http.Request) *slog.Logger {
	if h.log != nil {
		return h.log
	}
	return report.Logger(r)
}
