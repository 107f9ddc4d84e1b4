package middleware

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"time"
)

// RateLimitConfig configures a [RateLimiter] (and [RateLimit]). Limit and
// Window are required; every other field has a default.
type RateLimitConfig struct {
	// Limit is the cost (requests, when each costs 1) a key is admitted
	// per Window, at a steady rate of one unit every Window/Limit. At
	// least 1.
	Limit int64
	// Window is the span Limit counts over: a whole number of seconds, at
	// least one, since the RateLimit-Policy header counts in seconds.
	Window time.Duration
	// Burst is the most cost a key that has spent nothing is admitted at
	// once; 0 means Limit. A key is admitted at most Burst + d·Limit/Window
	// over any span d.
	Burst int64

	// Key returns the key a request is counted under. nil means
	// [RateLimitClientKey]: the client address, an IPv6 one grouped by its
	// /64. An error with a status (a *micro.Error, say) is sent as it is;
	// any other error is a 500 problem, its text logged once and never
	// sent. A key longer than 256 bytes is replaced by its SHA-256.
	Key func(*http.Request) (string, error)
	// Cost returns what a request costs, from 0 (nothing is charged; the
	// headers report the key's state) to Burst. nil means 1 for every
	// request. An error, or a cost outside 0 to Burst, is handled as Key's
	// errors are.
	Cost func(*http.Request) (int64, error)

	// Store keeps the keys' state. nil means a [RateLimitMemory] of
	// [DefaultRateLimitKeys] keys, this limiter's own. Several instances of
	// a server enforce one limit through a shared store, such as the
	// redisstore module's.
	Store RateLimitStore
	// OnStoreError is what the limiter does while Store fails: the zero
	// value, [RateLimitFailClosed], refuses. A [RateLimitMemory] never
	// fails.
	OnStoreError RateLimitFailure
	// StoreTimeout bounds the wait for one answer of Store, beyond which
	// the call counts as failed. 0 means 100 milliseconds.
	StoreTimeout time.Duration
	// StoreRetry is how often, once Store has failed, one request tries it
	// again; every other request is decided by OnStoreError at once, not
	// waiting on a store that is down. 0 means one second.
	StoreRetry time.Duration
	// LocalKeys is the number of keys of the local [RateLimitMemory] that
	// [RateLimitFailLocal] decides with. 0 means [DefaultRateLimitKeys].
	LocalKeys int
	// Log receives the two lines a failing store causes: one when the
	// limiter switches to OnStoreError's mode and one when the store
	// answers again. nil means the request's logger: the one [Logger] was
	// given, else slog.Default().
	Log *slog.Logger

	// Name names the limit in the RateLimit-Policy and RateLimit headers:
	// 1 to 64 letters, digits, '-', '_' or '.'. "" means "default".
	Name string
}

// RateLimitFailure is what a [RateLimiter] does with requests while its
// store fails.
type RateLimitFailure int

const (
	// RateLimitFailClosed refuses every request with a 503 problem and a
	// Retry-After of StoreRetry: nothing is admitted that could not be
	// counted.
	RateLimitFailClosed RateLimitFailure = iota
	// RateLimitFailOpen admits every request, with no RateLimit header:
	// the server stays available and unlimited.
	RateLimitFailOpen
	// RateLimitFailLocal decides with a [RateLimitMemory] of this process:
	// each instance then enforces the limit on its own, so N instances
	// behind a load balancer admit up to N times the limit.
	RateLimitFailLocal
)

// String returns "closed", "open" or "local", as the failure log line
// names the mode.
func (f RateLimitFailure) String() string {
	switch f {
	case RateLimitFailClosed:
		return "closed"
	case RateLimitFailOpen:
		return "open"
	case RateLimitFailLocal:
		return "local"
	}
	return fmt.Sprintf("RateLimitFailure(%d)", int(f))
}

const (
	rateLimitDefaultTimeout = 100 * time.Millisecond
	rateLimitDefaultRetry   = time.Second
	// rateLimitMaxTolerance bounds Burst·Interval, so that a theoretical
	// arrival time on a clock counting nanoseconds since 1970 cannot
	// overflow.
	rateLimitMaxTolerance = 100 * 365 * 24 * time.Hour
)

// Validate reports whether [NewRateLimiter] and [RateLimit] accept c: nil,
// or a [*ConfigError] naming the first field that is wrong.
func (c RateLimitConfig) Validate() error {
	bad := func(format string, args ...any) error {
		return configError("RateLimit", "middleware: RateLimit "+fmt.Sprintf(format, args...))
	}
	switch {
	case c.Limit < 1:
		return bad("needs a Limit of at least 1, not %d", c.Limit)
	case c.Window < time.Second || c.Window%time.Second != 0:
		return bad("needs a Window of a whole number of seconds, at least 1s, not %v", c.Window)
	case c.Window/time.Duration(c.Limit) < time.Microsecond:
		return bad("allows at most 1,000,000 per second; Limit %d per %v is more", c.Limit, c.Window)
	case c.Burst < 0:
		return bad("needs a Burst of 0 (meaning Limit) or more, not %d", c.Burst)
	case c.OnStoreError < RateLimitFailClosed || c.OnStoreError > RateLimitFailLocal:
		return bad("has an unknown OnStoreError %d", int(c.OnStoreError))
	case c.StoreTimeout < 0:
		return bad("needs a StoreTimeout of 0 (meaning 100ms) or more, not %v", c.StoreTimeout)
	case c.StoreRetry < 0:
		return bad("needs a StoreRetry of 0 (meaning 1s) or more, not %v", c.StoreRetry)
	case c.LocalKeys < 0 || c.LocalKeys > math.MaxInt32:
		return bad("needs LocalKeys of 0 (meaning %d) to %d, not %d", DefaultRateLimitKeys, math.MaxInt32, c.LocalKeys)
	case c.Name != "" && !safeToken(c.Name):
		return bad("needs a Name of 1 to 64 letters, digits, '-', '_' or '.', not %q", c.Name)
	}
	p := c.policy()
	if p.Burst > int64(rateLimitMaxTolerance/p.Interval) {
		return bad("Burst %d of %v each spans more than 100 years", p.Burst, p.Interval)
	}
	return nil
}

// policy returns the GCRA form of c's limit; c must have passed Validate's
// first checks.
func (c RateLimitConfig) policy() RateLimitPolicy {
	interval := c.Window / time.Duration(c.Limit)
	if interval*time.Duration(c.Limit) < c.Window {
		interval++ // rounded up: never more than Limit per Window
	}
	burst := c.Burst
	if burst == 0 {
		burst = c.Limit
	}
	return RateLimitPolicy{Interval: interval, Burst: burst}
}
