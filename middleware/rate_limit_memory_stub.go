// A placeholder for RateLimitMemory so the limiter compiles and its tests
// run until the real store (rate_limit_memory.go) lands; that change deletes
// this file. Unbounded: not for use.

package middleware

import (
	"context"
	"sync"
	"time"
)

const DefaultRateLimitKeys = 100_000

type RateLimitMemory struct {
	mu    sync.Mutex
	m     map[string]time.Duration
	epoch time.Time
}

func NewRateLimitMemory(maxKeys int) *RateLimitMemory {
	return &RateLimitMemory{m: map[string]time.Duration{}, epoch: time.Now()}
}

func (m *RateLimitMemory) Take(ctx context.Context, key string, p RateLimitPolicy, cost int64) (RateLimitDecision, error) {
	return m.take([]byte(key), p, cost), nil
}

func (m *RateLimitMemory) take(key []byte, p RateLimitPolicy, cost int64) RateLimitDecision {
	m.mu.Lock()
	defer m.mu.Unlock()
	next, d := p.Decide(m.m[string(key)], time.Since(m.epoch), cost)
	m.m[string(key)] = next
	return d
}
func (m *RateLimitMemory) Len() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.m) }
