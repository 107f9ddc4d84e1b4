// Package redisstore keeps the state of [middleware.RateLimiter] in Redis or
// Valkey, so that the instances of a server behind a load balancer enforce
// one limit together: a [middleware.RateLimitStore] for
// [middleware.RateLimitConfig].Store.
//
// Each request is one atomic Lua script, in one round trip: it reads the
// time on the server (TIME), so that the instances share one clock and a
// skewed instance gains nothing, then applies the step of
// [middleware.RateLimitPolicy.Decide] to the key's one value, its
// theoretical arrival time. The key expires when the limit key is back at
// its full burst, so idle keys cost no memory.
//
// In a Redis Cluster each limit key is one key, hence one hash slot: a
// request touches one node, and the limit keys spread over the nodes.
//
// The store speaks through a [rueidis.Client], which the caller opens,
// configures (a single server, a cluster or a sentinel set) and closes:
// rueidis pipelines the concurrent requests of a server on few
// connections, which measured fastest of the Go clients (see
// clients_bench_test.go).
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/microkit-go/micro/middleware"
	"github.com/redis/rueidis"
)

// maxToleranceMicros bounds Burst·Interval, in microseconds, so that the
// script's times (the epoch's microseconds plus it) stay exact in a Lua
// double, below 2^53: 2^52µs is about 142 years.
const maxToleranceMicros = 1 << 52

// Store is a [middleware.RateLimitStore] in Redis or Valkey. It is safe for
// concurrent use; it holds nothing per key in the process.
type Store struct {
	client rueidis.Client
	prefix string
	script *rueidis.Lua
}

// New returns a store that keeps its keys, each Prefix+key, through client.
// It returns [Config.Validate]'s error for a bad cfg, and an error for a
// nil client. It sends nothing: the script is loaded by the first request
// that finds it missing (EVALSHA, then EVAL on NOSCRIPT), and again after a
// SCRIPT FLUSH or a restart of the server.
func New(client rueidis.Client, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		return nil, errors.New("redisstore: New needs a client")
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{client: client, prefix: prefix, script: rueidis.NewLuaScript(takeScript)}, nil
}

// Take charges cost to key under p, as one atomic script on the server and
// on the server's clock, and returns the decision of
// [middleware.RateLimitPolicy.Decide] with p's Interval rounded up to a
// whole microsecond. It returns an error, and charges nothing, for a
// policy no limiter makes (an Interval or Burst below 1, Burst·Interval
// over 142 years) or a negative cost; when the server cannot be reached or
// answers an error (as for a key that holds something else), with
// ctx.Err() when ctx ends first; and when the script's decision differs
// from Decide's, which would be a defect of the script.
func (s *Store) Take(ctx context.Context, key string, p middleware.RateLimitPolicy, cost int64) (middleware.RateLimitDecision, error) {
	st, err := s.take(ctx, key, p, cost)
	return st.decision, err
}

// step is one Take as the script saw it: the key's TAT before the step and
// the server's time (on the epoch, at microsecond resolution), and the
// next TAT and decision that Decide makes of them.
type step struct {
	tat, now, next time.Duration
	decision       middleware.RateLimitDecision
}

// take is [Store.Take], returning the whole step.
func (s *Store) take(ctx context.Context, key string, p middleware.RateLimitPolicy, cost int64) (step, error) {
	q, err := micros(p)
	if err != nil {
		return step{}, err
	}
	if cost < 0 {
		return step{}, fmt.Errorf("redisstore: negative cost %d", cost)
	}
	interval := int64(q.Interval / time.Microsecond)
	res, err := s.script.Exec(ctx, s.client, []string{s.prefix + key}, []string{
		strconv.FormatInt(interval, 10), strconv.FormatInt(q.Burst, 10), strconv.FormatInt(cost, 10),
	}).ToArray()
	if err != nil {
		return step{}, fmt.Errorf("redisstore: %w", err)
	}
	allowed, tat, now, err := reply(res)
	if err != nil {
		return step{}, err
	}
	st := step{tat: time.Duration(tat) * time.Microsecond, now: time.Duration(now) * time.Microsecond}
	st.next, st.decision = q.Decide(st.tat, st.now, cost)
	if st.decision.Allowed != allowed {
		return step{}, fmt.Errorf("redisstore: the script decided %t, Decide %t (tat %dµs, now %dµs, cost %d)", allowed, st.decision.Allowed, tat, now, cost)
	}
	return st, nil
}

// micros returns p with its Interval rounded up to a whole microsecond, the
// script's unit, or an error for a policy outside the script's range.
func micros(p middleware.RateLimitPolicy) (middleware.RateLimitPolicy, error) {
	if p.Interval <= 0 || p.Burst < 1 {
		return p, fmt.Errorf("redisstore: policy with interval %v and burst %d", p.Interval, p.Burst)
	}
	interval := (p.Interval + time.Microsecond - 1) / time.Microsecond
	if int64(interval) > maxToleranceMicros/p.Burst {
		return p, fmt.Errorf("redisstore: burst %d of interval %v spans over 2^52µs", p.Burst, p.Interval)
	}
	p.Interval = interval * time.Microsecond
	return p, nil
}

// reply reads the script's reply: {allowed, tat_before_us, now_us}.
func reply(res []rueidis.RedisMessage) (allowed bool, tat, now int64, err error) {
	if len(res) != 3 {
		return false, 0, 0, fmt.Errorf("redisstore: script replied %d values, want 3", len(res))
	}
	var a int64
	if a, err = res[0].AsInt64(); err == nil {
		if tat, err = res[1].AsInt64(); err == nil {
			now, err = res[2].AsInt64()
		}
	}
	if err != nil {
		return false, 0, 0, fmt.Errorf("redisstore: script reply: %w", err)
	}
	return a == 1, tat, now, nil
}
