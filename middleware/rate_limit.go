package middleware

import (
	"fmt"
	"net/http"
	"unsafe"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/send"
)

// RateLimiter limits how often each key (by default, each client address)
// is served. It is the generic cell rate algorithm (GCRA), a token bucket
// kept as one instant per key: a key may spend Burst at once, and its
// allowance is restored at a steady Limit per Window, so over any span d
// it is admitted at most Burst + d·Limit/Window. GCRA rather than a
// sliding window because it is exact (no estimate between two fixed
// windows), has no window edges at which a client can spend twice its
// limit, and keeps one number per key, which a shared store can read and
// write in one atomic step.
//
// Use [RateLimiter.Handler] (or [RateLimit]) as middleware, and
// [RateLimiter.Allow] in a route for limits keyed by what only the route
// knows, such as the authenticated user. A RateLimiter is safe for
// concurrent use; make one per limit and share it.
type RateLimiter struct {
	policy RateLimitPolicy
	key    func(*http.Request) (string, error)
	cost   func(*http.Request) (int64, error)

	memory *RateLimitMemory // the store, when it is one: its calls cannot fail
	store  RateLimitStore   // any other store
	health rateLimitHealth

	policyHeader []string // shared by every response: never appended to in place
	quotedName   string
}

// NewRateLimiter returns the limiter cfg describes. A config that
// [RateLimitConfig.Validate] refuses panics, with the message of its error.
func NewRateLimiter(cfg RateLimitConfig) *RateLimiter {
	mustValid(cfg.Validate())
	name := cfg.Name
	if name == "" {
		name = "default"
	}
	l := &RateLimiter{
		policy:       cfg.policy(),
		key:          cfg.Key,
		cost:         cfg.Cost,
		policyHeader: []string{rateLimitPolicyValue(name, cfg.Limit, cfg.Window)},
		quotedName:   `"` + name + `"`,
	}
	switch s := cfg.Store.(type) {
	case nil:
		l.memory = NewRateLimitMemory(DefaultRateLimitKeys)
	case *RateLimitMemory:
		l.memory = s
	default:
		l.store = s
		l.health.init(cfg)
	}
	return l
}

// RateLimit returns middleware that limits requests as [NewRateLimiter]'s
// limiter does in [RateLimiter.Handler]; a config that
// [RateLimitConfig.Validate] refuses panics.
func RateLimit(cfg RateLimitConfig) func(http.Handler) http.Handler {
	return NewRateLimiter(cfg).Handler
}

// Handler returns next behind the limiter. Every response carries the
// RateLimit-Policy header of draft-ietf-httpapi-ratelimit-headers-10
// (`"default";q=100;w=60`), whatever its status, and, when the store
// decided, its RateLimit header (`"default";r=99;t=1`: r the cost the key
// can still spend, t the seconds until it is back to its full burst). A request over the limit
// is not passed on: it gets a 429 problem, from [send.Error], with
// Retry-After in seconds. Errors from the config's Key and Cost, and a
// failing store, are answered as [RateLimitConfig] says. A nil next
// panics.
func (l *RateLimiter) Handler(next http.Handler) http.Handler {
	if next == nil {
		panic("middleware: RateLimit: nil handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h[rateLimitPolicyHeader] = l.policyHeader
		var buf [rateLimitAddrKeyLen]byte
		var key []byte
		if l.key == nil {
			var err error
			if key, err = rateLimitAppendClientKey(buf[:0], r); err != nil {
				send.Error(w, r, err)
				return
			}
		} else {
			k, err := l.key(r)
			if err != nil {
				send.Error(w, r, rateLimitCallerError("Key", err))
				return
			}
			key = rateLimitBytes(rateLimitBoundKey(k))
		}
		cost := int64(1)
		if l.cost != nil {
			c, err := l.cost(r)
			if err == nil {
				err = l.checkCost(c)
			}
			if err != nil {
				send.Error(w, r, rateLimitCallerError("Cost", err))
				return
			}
			cost = c
		}
		d, known, err := l.decide(r, key, cost)
		if err != nil {
			send.Error(w, r, err)
			return
		}
		if known {
			h[rateLimitHeader] = rateLimitValue(l.quotedName, d)
		}
		if !d.Allowed {
			send.Error(w, r, l.refusal(d))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Allow charges one request to key, as [RateLimiter.AllowN] does.
func (l *RateLimiter) Allow(r *http.Request, key string) error {
	return l.AllowN(r, key, 1)
}

// AllowN charges cost to key and returns nil when the request is within
// the limit. Over the limit, it returns a *micro.Error with status 429
// that carries Retry-After and the RateLimit headers, ready to be returned
// by a route (or sent with [send.Error]); nothing is charged then. A key
// longer than 256 bytes is counted under its SHA-256. A cost outside 0 to
// the burst is an unclassified error (a 500 from [send.Error]); a failing
// store gives what the config's OnStoreError says: a 503 *micro.Error for
// [RateLimitFailClosed]. r's context bounds the wait for the store.
//
// On success no header can be set: use [RateLimiter.Handler] to put the
// RateLimit headers on every response.
func (l *RateLimiter) AllowN(r *http.Request, key string, cost int64) error {
	if err := l.checkCost(cost); err != nil {
		return err
	}
	d, known, err := l.decide(r, rateLimitBytes(rateLimitBoundKey(key)), cost)
	if err != nil || d.Allowed {
		return err
	}
	e := l.refusal(d).WithHeader(rateLimitPolicyHeader, l.policyHeader[0])
	if known {
		e.WithHeader(rateLimitHeader, rateLimitValue(l.quotedName, d)[0])
	}
	return e
}

// decide returns the decision on charging cost to key. known is false when
// a failing store was answered by admitting (nothing was counted); err is
// the error to send when the request cannot be decided.
func (l *RateLimiter) decide(r *http.Request, key []byte, cost int64) (d RateLimitDecision, known bool, err error) {
	if l.memory != nil {
		return l.memory.take(key, l.policy, cost), true, nil
	}
	return l.health.decide(r, l.store, key, l.policy, cost)
}

// checkCost returns an error when cost is outside 0 to the burst.
func (l *RateLimiter) checkCost(cost int64) error {
	if cost < 0 || cost > l.policy.Burst {
		return fmt.Errorf("middleware: RateLimit: cost %d outside 0 to the burst, %d", cost, l.policy.Burst)
	}
	return nil
}

// refusal returns the 429 error for the refused decision d.
func (l *RateLimiter) refusal(d RateLimitDecision) *micro.Error {
	secs := rateLimitRetryAfter(d.RetryAfter)
	return micro.Errorf(http.StatusTooManyRequests, "Rate limit exceeded: retry in %s s", secs).
		WithHeader("Retry-After", secs)
}

// rateLimitCallerError returns the error to send for err from the config's
// function fn. [send.Error] finds a status err carries through the
// wrapping; without one, the text is logged and never sent.
func rateLimitCallerError(fn string, err error) error {
	return fmt.Errorf("middleware: RateLimit %s: %w", fn, err)
}

// rateLimitBytes returns the bytes of s, which must not be modified.
func rateLimitBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
