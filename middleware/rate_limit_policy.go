package middleware

import (
	"context"
	"time"
)

// RateLimitPolicy is a limit in the form the generic cell rate algorithm
// (GCRA) keeps it, and the form in which a [RateLimitStore] receives it:
// one unit of cost is restored every Interval, and at most Burst units can
// be spent at once by a key that has spent nothing.
//
// A key's whole state is one instant, its theoretical arrival time (TAT):
// the time at which the key will have been restored to its full burst.
// [RateLimitPolicy.Decide] is the step every store applies, atomically per
// key. Over any span of time d, a key is admitted at most
// Burst + d/Interval units of cost.
type RateLimitPolicy struct {
	// Interval is the time in which one unit of cost is restored:
	// Window / Limit of [RateLimitConfig], rounded up.
	Interval time.Duration
	// Burst is the most cost a key with nothing spent is admitted at once.
	Burst int64
}

// RateLimitDecision is what a [RateLimitStore] decided for one request.
type RateLimitDecision struct {
	// Allowed reports whether the request's cost was admitted (and
	// charged). A refused request is not charged.
	Allowed bool
	// Remaining is the cost the key could still spend now, after this
	// request: the r of the RateLimit header.
	Remaining int64
	// RetryAfter is, for a refused request, the time until its cost would
	// be admitted; 0 when the request was allowed.
	RetryAfter time.Duration
	// Reset is the time until the key is restored to its full burst: the t
	// of the RateLimit header.
	Reset time.Duration
}

// RateLimitStore keeps the state of rate limits: one theoretical arrival
// time per key. [RateLimitMemory] keeps it in this process; a store in a
// shared engine (the redisstore module, for Redis and Valkey) lets several
// instances of a server enforce one limit.
//
// Take charges cost to key under p and returns the decision that
// [RateLimitPolicy.Decide] makes, read and written as one atomic step for
// the key, on the store's own clock. cost is between 0 and p.Burst; a cost
// of 0 charges nothing and reports the key's state. Take must not keep key
// after it returns, and must return when ctx is done. An error means the
// store could not decide; the [RateLimiter] then acts as its
// [RateLimitConfig].OnStoreError says.
type RateLimitStore interface {
	Take(ctx context.Context, key string, p RateLimitPolicy, cost int64) (RateLimitDecision, error)
}

// Decide is one step of GCRA for a key whose theoretical arrival time is
// tat, at the instant now, for a request of the given cost: it returns the
// key's next theoretical arrival time and the decision. tat and now are
// read on one clock, from any epoch; a tat not after now (0, for a key
// never seen) is a key at its full burst.
//
// The request is admitted when, after charging cost·Interval, the key is no
// more than Burst·Interval ahead of now; then next is the charged time.
// Otherwise next is tat unchanged, and RetryAfter is the time until the
// charge would fit. A cost above Burst is never admitted. Interval must be
// positive and Burst·Interval must not overflow, as the limiters' configs
// make sure; the caller checks that cost is not negative.
func (p RateLimitPolicy) Decide(tat, now time.Duration, cost int64) (next time.Duration, d RateLimitDecision) {
	t := max(tat, now)
	charged := t + time.Duration(cost)*p.Interval
	tolerance := time.Duration(p.Burst) * p.Interval
	if admitAt := charged - tolerance; admitAt > now {
		d.RetryAfter = admitAt - now
		d.Reset = t - now
		d.Remaining = p.remaining(tolerance - d.Reset)
		return tat, d
	}
	d.Allowed = true
	d.Reset = charged - now
	d.Remaining = p.remaining(tolerance - d.Reset)
	return charged, d
}

// remaining returns the whole units of cost that slack, the time a key is
// short of its tolerance, pays for.
func (p RateLimitPolicy) remaining(slack time.Duration) int64 {
	if slack <= 0 {
		return 0
	}
	return int64(slack / p.Interval)
}
