package bench_test

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"golang.org/x/time/rate"
)

// The one limit of every implementation: 100 per minute, a burst of 100.
// Past the first hundred takes of a key, nearly all are refused, by every
// implementation alike: the state a client over its limit keeps a server
// in.
const (
	benchLimit  = 100
	benchWindow = time.Minute
)

// limiter decides one request of key: true when admitted.
type limiter interface {
	allow(key string) bool
}

// microLimiter is middleware.RateLimitMemory, called as the RateLimiter
// calls its store.
type microLimiter struct {
	store *middleware.RateLimitMemory
	p     middleware.RateLimitPolicy
}

func newMicroLimiter(limit int, window time.Duration) limiter {
	return &microLimiter{
		store: middleware.NewRateLimitMemory(middleware.DefaultRateLimitKeys),
		p:     middleware.RateLimitPolicy{Interval: window / time.Duration(limit), Burst: int64(limit)},
	}
}

func (l *microLimiter) allow(key string) bool {
	d, _ := l.store.Take(context.Background(), key, l.p, 1)
	return d.Allowed
}

// xrateLimiter is golang.org/x/time/rate the way it is used per key: a
// mutex-guarded map of one *rate.Limiter per key, each asked Allow.
type xrateLimiter struct {
	mu     sync.Mutex
	keys   map[string]*rate.Limiter
	limit  int
	window time.Duration
}

func newXrateLimiter(limit int, window time.Duration) limiter {
	return &xrateLimiter{keys: make(map[string]*rate.Limiter), limit: limit, window: window}
}

func (l *xrateLimiter) allow(key string) bool {
	l.mu.Lock()
	lim, ok := l.keys[key]
	if !ok {
		lim = rate.NewLimiter(rate.Every(l.window/time.Duration(l.limit)), l.limit)
		l.keys[key] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}

// httprateLimiter is the decision of httprate's (*RateLimiter).OnLimit on
// its in-memory counter, httprate.NewLocalLimitCounter, without the
// response headers OnLimit also sets: under the limiter's one mutex, Get
// of the two windows' counts, the sliding-window rate, and IncrementBy
// when the request fits.
type httprateLimiter struct {
	mu      sync.Mutex
	counter httprate.LimitCounter
	limit   int
	window  time.Duration
}

func newHttprateLimiter(limit int, window time.Duration) limiter {
	c := httprate.NewLocalLimitCounter(window)
	c.Config(limit, window)
	return &httprateLimiter{counter: c, limit: limit, window: window}
}

func (l *httprateLimiter) allow(key string) bool {
	now := time.Now().UTC()
	current := now.Truncate(l.window)
	l.mu.Lock()
	defer l.mu.Unlock()
	curr, prev, err := l.counter.Get(key, current, current.Add(-l.window))
	if err != nil {
		return false
	}
	left := float64(l.window - now.Sub(current))
	r := int(math.Round(float64(prev)*left/float64(l.window) + float64(curr)))
	if r+1 > l.limit {
		return false
	}
	return l.counter.IncrementBy(key, current, 1) == nil
}

// benchKeys returns n distinct client addresses.
func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "198.51." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	return keys
}

// BenchmarkRateLimit decides requests of one hot key, of 10,000 keys in
// turn, and of 10,000 keys from GOMAXPROCS goroutines, with micro's
// RateLimitMemory beside x/time/rate and httprate, in one run. Past the
// first hundred requests of a key these are refusals; keys=1-admitted is
// one hot key under a limit no benchmark reaches.
func BenchmarkRateLimit(b *testing.B) {
	impls := []struct {
		name string
		make func(limit int, window time.Duration) limiter
	}{
		{"micro", newMicroLimiter},
		{"xrate", newXrateLimiter},
		{"httprate", newHttprateLimiter},
	}
	keys := benchKeys(10_000)
	for _, impl := range impls {
		b.Run("keys=1/impl="+impl.name, func(b *testing.B) {
			l := impl.make(benchLimit, benchWindow)
			b.ReportAllocs()
			for b.Loop() {
				l.allow(keys[0])
			}
		})
	}
	for _, impl := range impls {
		b.Run("keys=1-admitted/impl="+impl.name, func(b *testing.B) {
			l := impl.make(math.MaxInt32, time.Hour)
			b.ReportAllocs()
			for b.Loop() {
				if !l.allow(keys[0]) {
					b.Fatal("refused")
				}
			}
		})
	}
	for _, impl := range impls {
		b.Run("keys=10000/impl="+impl.name, func(b *testing.B) {
			l := impl.make(benchLimit, benchWindow)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				l.allow(keys[i])
				if i++; i == len(keys) {
					i = 0
				}
			}
		})
	}
	for _, impl := range impls {
		b.Run("keys=10000-parallel/impl="+impl.name, func(b *testing.B) {
			l := impl.make(benchLimit, benchWindow)
			var start atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := int(start.Add(7919)) % len(keys)
				for pb.Next() {
					l.allow(keys[i])
					if i++; i == len(keys) {
						i = 0
					}
				}
			})
		})
	}
}

// TestRateLimitImplsAgree checks that the three limiters of the benchmark
// enforce the same limit: a fresh key gets exactly 100 at once, then a
// refusal.
func TestRateLimitImplsAgree(t *testing.T) {
	for name, newLimiter := range map[string]func(int, time.Duration) limiter{"micro": newMicroLimiter, "xrate": newXrateLimiter, "httprate": newHttprateLimiter} {
		l := newLimiter(benchLimit, benchWindow)
		n := 0
		for l.allow("203.0.113.7") {
			if n++; n > benchLimit {
				break
			}
		}
		if n != benchLimit {
			t.Errorf("%s admitted %d at once, want %d", name, n, benchLimit)
		}
	}
}

// BenchmarkRateLimitMiddleware is each limiter as the middleware a server
// mounts, keyed by the client address, on requests it admits (a limit
// of a million an hour): micro's RateLimit with its default key and
// headers, and httprate's LimitBy with CanonicalizeIP of the peer and its
// X-RateLimit headers.
func BenchmarkRateLimitMiddleware(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	impls := []struct {
		name string
		h    http.Handler
	}{
		{"micro", middleware.RateLimit(middleware.RateLimitConfig{Limit: math.MaxInt32, Window: time.Hour})(ok)},
		{"httprate", httprate.LimitBy(math.MaxInt32, time.Hour, func(r *http.Request) (string, error) {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			return httprate.CanonicalizeIP(host), err
		})(ok)},
	}
	for _, keys := range []int{1, 10_000} {
		reqs := make([]*http.Request, keys)
		for i := range reqs {
			reqs[i] = httptest.NewRequest(http.MethodGet, "/", nil)
			reqs[i].RemoteAddr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1).String()
		}
		for _, impl := range impls {
			b.Run("keys="+strconv.Itoa(keys)+"/impl="+impl.name, func(b *testing.B) {
				w := &testkit.Discard{}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					w.Reset()
					impl.h.ServeHTTP(w, reqs[i%keys])
					if w.Status != http.StatusOK {
						b.Fatalf("status %d", w.Status)
					}
					i++
				}
			})
		}
	}
}
