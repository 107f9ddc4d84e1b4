package middleware_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// rateLimitOK is the route behind the limiters under test.
var rateLimitOK = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
})

// rateLimitServe sends one GET from remote through h and returns what was
// recorded.
func rateLimitServe(h http.Handler, remote string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// rateLimitWant checks a response's status and its two RateLimit headers
// ("" for a header that must be absent).
func rateLimitWant(t *testing.T, w *httptest.ResponseRecorder, status int, policy, limit string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if got := w.Header().Get("RateLimit-Policy"); got != policy {
		t.Errorf("RateLimit-Policy %q, want %q", got, policy)
	}
	if got := w.Header().Get("RateLimit"); got != limit {
		t.Errorf("RateLimit %q, want %q", got, limit)
	}
}

func TestRateLimitAdmitsBurstThenRefusesWithAProblem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := middleware.RateLimit(middleware.RateLimitConfig{Limit: 3, Window: time.Minute})(rateLimitOK)
		const policy = `"default";q=3;w=60`
		for i, want := range []string{`"default";r=2;t=20`, `"default";r=1;t=40`, `"default";r=0;t=60`} {
			w := rateLimitServe(h, "192.0.2.1:1000")
			rateLimitWant(t, w, http.StatusOK, policy, want)
			if i == 0 && w.Header().Get("Retry-After") != "" {
				t.Error("an admitted response has a Retry-After")
			}
		}
		w := rateLimitServe(h, "192.0.2.1:1001")
		rateLimitWant(t, w, http.StatusTooManyRequests, policy, `"default";r=0;t=60`)
		if got := w.Header().Get("Retry-After"); got != "20" {
			t.Errorf("Retry-After %q, want 20", got)
		}
		p := testkit.RecordedProblem(t, w)
		if p.Status != 429 || p.Title != "Too Many Requests" || p.Detail != "Rate limit exceeded: retry in 20 s" {
			t.Errorf("problem %+v", p)
		}

		// Another client has its own allowance.
		rateLimitWant(t, rateLimitServe(h, "192.0.2.2:1000"), http.StatusOK, policy, `"default";r=2;t=20`)

		// One unit comes back every Window/Limit.
		time.Sleep(20 * time.Second)
		rateLimitWant(t, rateLimitServe(h, "192.0.2.1:1000"), http.StatusOK, policy, `"default";r=0;t=60`)
		rateLimitWant(t, rateLimitServe(h, "192.0.2.1:1000"), http.StatusTooManyRequests, policy, `"default";r=0;t=60`)
	})
}

func TestRateLimitRefusalIsNotCharged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := middleware.RateLimit(middleware.RateLimitConfig{Limit: 1, Window: time.Second})(rateLimitOK)
		rateLimitServe(h, "192.0.2.1:1")
		for range 100 { // a client hammering while refused does not push its wait back
			if w := rateLimitServe(h, "192.0.2.1:1"); w.Code != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429", w.Code)
			}
		}
		time.Sleep(time.Second)
		if w := rateLimitServe(h, "192.0.2.1:1"); w.Code != http.StatusOK {
			t.Fatalf("after the interval: status %d, want 200", w.Code)
		}
	})
}

func TestRateLimitGroupsIPv6ByPrefix64(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := middleware.RateLimit(middleware.RateLimitConfig{Limit: 4, Window: time.Hour})(rateLimitOK)
		// A host rotating through its /64 spends one allowance.
		admitted := 0
		for i := range 50 {
			addr := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, byte(i), 9, 9, 9, 9, 9, 9, byte(i)})
			if rateLimitServe(h, netip.AddrPortFrom(addr, 443).String()).Code == http.StatusOK {
				admitted++
			}
		}
		if admitted != 4 {
			t.Errorf("one /64 admitted %d, want 4", admitted)
		}
		// The next /64 is another client; an IPv4-mapped address is its IPv4.
		if w := rateLimitServe(h, "[2001:db8:1:3::1]:443"); w.Code != http.StatusOK {
			t.Errorf("another /64: status %d", w.Code)
		}
		rateLimitServe(h, "192.0.2.7:1")
		w := rateLimitServe(h, "[::ffff:192.0.2.7]:1")
		rateLimitWant(t, w, http.StatusOK, `"default";q=4;w=3600`, `"default";r=2;t=1800`)
	})
}

func TestRateLimitClientKey(t *testing.T) {
	for _, c := range []struct{ remote, want string }{
		{"192.0.2.1:80", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1"},
		{"[2001:db8:aaaa:bbbb:1:2:3:4]:80", "2001:db8:aaaa:bbbb::/64"},
		{"[fe80::1%eth0]:80", "fe80::/64"},
		{"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:1", "ffff:ffff:ffff:ffff::/64"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		got, err := middleware.RateLimitClientKey(r)
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.remote, got, err, c.want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "@"
	if got, err := middleware.RateLimitClientKey(r); err == nil {
		t.Errorf("no address: %q and no error", got)
	}
}

func TestRateLimitKeysHostileForwardingHeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		proxy := netip.MustParsePrefix("10.0.0.0/8")
		var seen []string
		store := &rateLimitFakeStore{take: func(key string) error { seen = append(seen, key); return nil }}
		h := middleware.ClientIP(proxy)(middleware.RateLimit(middleware.RateLimitConfig{
			Limit: 2, Window: time.Hour, Store: store,
		})(rateLimitOK))

		// A client that is not a trusted proxy cannot choose its key.
		for i := range 5 {
			rateLimitServe(h, "198.51.100.9:1", "X-Forwarded-For", "203.0.113."+string(rune('1'+i)))
		}
		// 100 KB of X-Forwarded-For through the trusted proxy: the key is
		// the entry ClientIP's bounded walk stops at, an address.
		huge := strings.Repeat("203.0.113.5, ", 100_000/13)
		rateLimitServe(h, "10.1.1.1:1", "X-Forwarded-For", huge+"198.51.100.10")
		for i, k := range seen {
			want := "198.51.100.9"
			if i == 5 {
				want = "198.51.100.10"
			}
			if k != want {
				t.Errorf("request %d counted under %q, want %q", i, k, want)
			}
		}
	})
}

func TestRateLimitLongKeysAreHashed(t *testing.T) {
	var got []string
	store := &rateLimitFakeStore{take: func(key string) error { got = append(got, key); return nil }}
	long := strings.Repeat("k", 100_000)
	lim := middleware.NewRateLimiter(middleware.RateLimitConfig{Limit: 5, Window: time.Second, Store: store,
		Key: func(*http.Request) (string, error) { return long, nil }})
	rateLimitServe(lim.Handler(rateLimitOK), "192.0.2.1:1")
	if err := lim.Allow(httptest.NewRequest("GET", "/", nil), long+"x"); err != nil {
		t.Fatal(err)
	}
	if err := lim.Allow(httptest.NewRequest("GET", "/", nil), strings.Repeat("k", 256)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[0]) != len("sha256:")+64 || !strings.HasPrefix(got[0], "sha256:") ||
		got[0] == got[1] || got[2] != strings.Repeat("k", 256) {
		t.Errorf("keys seen by the store: %.80q", got)
	}
}

func TestRateLimitKeyAndCostErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		cfg    middleware.RateLimitConfig
		status int
		logged bool
	}{
		{"key error", middleware.RateLimitConfig{Key: func(*http.Request) (string, error) { return "", errors.New("no session store") }}, 500, true},
		{"key error with a status", middleware.RateLimitConfig{Key: func(*http.Request) (string, error) {
			return "", micro.Errorf(http.StatusUnauthorized, "sign in first")
		}}, 401, false},
		{"cost error", middleware.RateLimitConfig{Cost: func(*http.Request) (int64, error) { return 0, errors.New("bad plan") }}, 500, true},
		{"negative cost", middleware.RateLimitConfig{Cost: func(*http.Request) (int64, error) { return -1, nil }}, 500, true},
		{"cost over the burst", middleware.RateLimitConfig{Cost: func(*http.Request) (int64, error) { return 11, nil }}, 500, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Limit, c.cfg.Window = 10, time.Minute
			var log testkit.Log
			h := middleware.Logger(log.JSONLogger(nil))(middleware.RateLimit(c.cfg)(rateLimitOK))
			w := rateLimitServe(h, "192.0.2.1:1")
			p := testkit.RecordedProblem(t, w)
			if w.Code != c.status || p.Status != c.status {
				t.Fatalf("status %d, problem %+v; want %d", w.Code, p, c.status)
			}
			if c.status == 500 && p.Detail != "" {
				t.Errorf("a 500 sent its cause: %q", p.Detail)
			}
			lines := log.Lines(t)
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want 1: %s", len(lines), log.String())
			}
			if _, has := lines[0]["error"]; has != c.logged {
				t.Errorf("error logged %v, want %v: %v", has, c.logged, lines[0])
			}
		})
	}
}

func TestRateLimitNoClientAddressIsA500(t *testing.T) {
	w := rateLimitServe(middleware.RateLimit(middleware.RateLimitConfig{Limit: 1, Window: time.Second})(rateLimitOK), "@")
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
}

func TestRateLimitCost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := middleware.RateLimit(middleware.RateLimitConfig{Limit: 10, Window: 10 * time.Second,
			Cost: func(r *http.Request) (int64, error) {
				if r.Method == http.MethodHead {
					return 0, nil
				}
				return 4, nil
			}})(rateLimitOK)
		rateLimitWant(t, rateLimitServe(h, "192.0.2.1:1"), 200, `"default";q=10;w=10`, `"default";r=6;t=4`)
		rateLimitWant(t, rateLimitServe(h, "192.0.2.1:1"), 200, `"default";q=10;w=10`, `"default";r=2;t=8`)
		w := rateLimitServe(h, "192.0.2.1:1")
		rateLimitWant(t, w, 429, `"default";q=10;w=10`, `"default";r=2;t=8`)
		if got := w.Header().Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After %q, want 2", got)
		}
		// A cost of 0 reports without charging.
		r := httptest.NewRequest(http.MethodHead, "/", nil)
		r.RemoteAddr = "192.0.2.1:1"
		rw := httptest.NewRecorder()
		h.ServeHTTP(rw, r)
		rateLimitWant(t, rw, 200, `"default";q=10;w=10`, `"default";r=2;t=8`)
	})
}

func TestRateLimiterAllowInARoute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := middleware.NewRateLimiter(middleware.RateLimitConfig{Limit: 2, Window: time.Minute, Name: "per-user"})
		route := micro.Handler(func(r *http.Request) (any, error) {
			if err := lim.Allow(r, r.Header.Get("User")); err != nil {
				return nil, err
			}
			return "ok", nil
		})
		for range 2 {
			if w := rateLimitServe(route, "192.0.2.1:1", "User", "ann"); w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
		}
		w := rateLimitServe(route, "192.0.2.1:1", "User", "ann")
		rateLimitWant(t, w, 429, `"per-user";q=2;w=60`, `"per-user";r=0;t=60`)
		if got := w.Header().Get("Retry-After"); got != "30" {
			t.Errorf("Retry-After %q, want 30", got)
		}
		testkit.RecordedProblem(t, w)
		if w := rateLimitServe(route, "192.0.2.1:1", "User", "bob"); w.Code != 200 {
			t.Errorf("another user: status %d", w.Code)
		}
		var sc interface{ StatusCode() int }
		if err := lim.AllowN(httptest.NewRequest("GET", "/", nil), "bob", 3); err == nil || errors.As(err, &sc) {
			t.Errorf("a cost over the burst: %v, want an unclassified error", err)
		}
	})
}

// rateLimitFakeStore is a store that delegates to a RateLimitMemory, after
// take returns nil, and fails with take's error otherwise; a nil take
// blocks until the context ends.
type rateLimitFakeStore struct {
	mu    sync.Mutex
	mem   *middleware.RateLimitMemory
	take  func(key string) error
	calls int
}

func (s *rateLimitFakeStore) Take(ctx context.Context, key string, p middleware.RateLimitPolicy, cost int64) (middleware.RateLimitDecision, error) {
	s.mu.Lock()
	s.calls++
	take := s.take
	if s.mem == nil {
		s.mem = middleware.NewRateLimitMemory(100)
	}
	s.mu.Unlock()
	if take == nil {
		<-ctx.Done()
		return middleware.RateLimitDecision{}, ctx.Err()
	}
	if err := take(key); err != nil {
		return middleware.RateLimitDecision{}, err
	}
	return s.mem.Take(ctx, key, p, cost)
}

func (s *rateLimitFakeStore) set(take func(string) error) {
	s.mu.Lock()
	s.take = take
	s.mu.Unlock()
}

func (s *rateLimitFakeStore) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func TestRateLimitStoreFailureModes(t *testing.T) {
	down := errors.New("connection refused")
	for _, c := range []struct {
		mode   middleware.RateLimitFailure
		status int // of the first request after the failure, and the ones after it
		limit  string
	}{
		{middleware.RateLimitFailClosed, 503, ""},
		{middleware.RateLimitFailOpen, 200, ""},
		{middleware.RateLimitFailLocal, 200, `"default";r=2;t=20`},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var log testkit.Log
				store := &rateLimitFakeStore{take: func(string) error { return nil }}
				h := middleware.RateLimit(middleware.RateLimitConfig{Limit: 3, Window: time.Minute, Store: store,
					OnStoreError: c.mode, Log: log.JSONLogger(nil), StoreRetry: 5 * time.Second})(rateLimitOK)
				rateLimitWant(t, rateLimitServe(h, "192.0.2.1:1"), 200, `"default";q=3;w=60`, `"default";r=2;t=20`)

				store.set(func(string) error { return down })
				for i := range 10 {
					w := rateLimitServe(h, "192.0.2.9:1")
					rateLimitWant(t, w, c.status, `"default";q=3;w=60`, c.limit)
					if c.mode == middleware.RateLimitFailClosed {
						if got := w.Header().Get("Retry-After"); got != "5" {
							t.Errorf("Retry-After %q, want 5", got)
						}
						if p := testkit.RecordedProblem(t, w); p.Detail != "Rate limit unavailable: retry in 5 s" {
							t.Errorf("problem %+v", p)
						}
					}
					if c.mode == middleware.RateLimitFailLocal && i == 0 {
						c.limit = `"default";r=1;t=40`
					} else if c.mode == middleware.RateLimitFailLocal && i == 1 {
						c.limit, c.status = `"default";r=0;t=60`, 200
					} else if c.mode == middleware.RateLimitFailLocal {
						c.limit, c.status = `"default";r=0;t=60`, 429
					}
				}
				if n := store.callCount(); n != 2 {
					t.Errorf("the failing store was asked %d times in its retry period, want 2 (1 + the failure)", n)
				}
				time.Sleep(5 * time.Second)
				rateLimitServe(h, "192.0.2.9:1") // the one retry, still failing
				if n := store.callCount(); n != 3 {
					t.Errorf("store asked %d times, want 3", n)
				}
				store.set(func(string) error { return nil })
				rateLimitServe(h, "192.0.2.9:1") // within the period: not asked
				if n := store.callCount(); n != 3 {
					t.Errorf("store asked %d times within the retry period, want 3", n)
				}
				time.Sleep(5 * time.Second)
				w := rateLimitServe(h, "192.0.2.1:1") // the store's state again: charged once, 10 s ago
				rateLimitWant(t, w, 200, `"default";q=3;w=60`, `"default";r=1;t=30`)

				lines := log.Lines(t)
				if len(lines) != 2 {
					t.Fatalf("%d log lines, want 2: %s", len(lines), log.String())
				}
				if lines[0]["msg"] != "rate limit store failed" || lines[0]["level"] != "ERROR" ||
					lines[0]["mode"] != c.mode.String() || lines[0]["error"] != "connection refused" {
					t.Errorf("first line %v", lines[0])
				}
				if lines[1]["msg"] != "rate limit store recovered" || lines[1]["level"] != "INFO" {
					t.Errorf("second line %v", lines[1])
				}
			})
		})
	}
}

func TestRateLimitStoreTimeoutBoundsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &rateLimitFakeStore{} // hangs until the context ends
		h := middleware.RateLimit(middleware.RateLimitConfig{Limit: 3, Window: time.Minute, Store: store,
			OnStoreError: middleware.RateLimitFailOpen, StoreTimeout: 250 * time.Millisecond,
			Log: (&testkit.Log{}).JSONLogger(nil)})(rateLimitOK)
		start := time.Now()
		w := rateLimitServe(h, "192.0.2.1:1")
		if waited := time.Since(start); w.Code != 200 || waited != 250*time.Millisecond {
			t.Errorf("status %d after %v of the bubble's clock, want 200 after the 250ms timeout", w.Code, waited)
		}
		start = time.Now()
		rateLimitServe(h, "192.0.2.1:1")
		if waited := time.Since(start); waited != 0 {
			t.Errorf("a request while the store is failing waited %v of the bubble's clock", waited)
		}
	})
}

func TestRateLimitClientGoneIsNotAStoreFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log testkit.Log
		store := &rateLimitFakeStore{} // hangs until the context ends
		h := middleware.Logger(log.JSONLogger(nil))(middleware.RateLimit(middleware.RateLimitConfig{
			Limit: 3, Window: time.Minute, Store: store})(rateLimitOK))
		ctx, cancel := context.WithCancel(context.Background())
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
		w := httptest.NewRecorder()
		go func() { time.Sleep(10 * time.Millisecond); cancel() }()
		h.ServeHTTP(w, r)
		if w.Code != 499 {
			t.Errorf("status %d, want 499", w.Code)
		}
		for _, l := range log.Lines(t) {
			if l["msg"] == "rate limit store failed" {
				t.Errorf("a client that went away was logged as a store failure: %v", l)
			}
		}
	})
}

func TestRateLimitConfigValidate(t *testing.T) {
	ok := middleware.RateLimitConfig{Limit: 10, Window: time.Minute}
	for _, c := range []struct {
		name   string
		change func(*middleware.RateLimitConfig)
		want   string
	}{
		{"no limit", func(c *middleware.RateLimitConfig) { c.Limit = 0 }, "Limit of at least 1"},
		{"no window", func(c *middleware.RateLimitConfig) { c.Window = 0 }, "whole number of seconds"},
		{"fractional window", func(c *middleware.RateLimitConfig) { c.Window = 1500 * time.Millisecond }, "whole number of seconds"},
		{"too fast", func(c *middleware.RateLimitConfig) { c.Limit, c.Window = 2_000_000, time.Second }, "1,000,000 per second"},
		{"negative burst", func(c *middleware.RateLimitConfig) { c.Burst = -1 }, "Burst of 0"},
		{"huge burst", func(c *middleware.RateLimitConfig) { c.Burst = 1 << 62 }, "100 years"},
		{"unknown mode", func(c *middleware.RateLimitConfig) { c.OnStoreError = 7 }, "unknown OnStoreError 7"},
		{"negative timeout", func(c *middleware.RateLimitConfig) { c.StoreTimeout = -1 }, "StoreTimeout"},
		{"negative retry", func(c *middleware.RateLimitConfig) { c.StoreRetry = -1 }, "StoreRetry"},
		{"negative local keys", func(c *middleware.RateLimitConfig) { c.LocalKeys = -1 }, "LocalKeys"},
		{"too many local keys", func(c *middleware.RateLimitConfig) { n := int64(1) << 31; c.LocalKeys = int(n) }, "LocalKeys of 0 (meaning 100000) to 2147483647"},
		{"quote in the name", func(c *middleware.RateLimitConfig) { c.Name = `a"b` }, "Name of 1 to 64"},
		{"long name", func(c *middleware.RateLimitConfig) { c.Name = strings.Repeat("n", 65) }, "Name of 1 to 64"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.change(&cfg)
			err := cfg.Validate()
			var ce *middleware.ConfigError
			if !errors.As(err, &ce) || ce.Middleware != "RateLimit" || !strings.Contains(err.Error(), c.want) ||
				!strings.HasPrefix(err.Error(), "middleware: RateLimit ") {
				t.Fatalf("Validate() = %v, want a ConfigError containing %q", err, c.want)
			}
			if p := testkit.Recover(func() { middleware.RateLimit(cfg) }); p != err.Error() {
				t.Errorf("RateLimit panicked with %v, want %q", p, err)
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("a good config: %v", err)
	}
	if p := testkit.Recover(func() { middleware.NewRateLimiter(ok).Handler(nil) }); p == nil {
		t.Error("a nil handler did not panic")
	}
}

func TestRateLimitAdmittedRequestAllocatesOnlyItsHeader(t *testing.T) {
	h := middleware.RateLimit(middleware.RateLimitConfig{Limit: 1_000_000, Window: time.Hour})(rateLimitOK)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := &testkit.Discard{}
	h.ServeHTTP(w, r) // the key is held from here on
	allocs := testing.AllocsPerRun(1000, func() {
		w.Reset()
		h.ServeHTTP(w, r)
	})
	if w.Status != http.StatusOK {
		t.Fatalf("status %d", w.Status)
	}
	// The RateLimit header's value and slice, in one allocation; the key,
	// the store's lookup and the RateLimit-Policy header cost none.
	if allocs != 1 {
		t.Errorf("%v allocations per admitted request, want 1", allocs)
	}
}

func BenchmarkRateLimit(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	b.Run("bare", func(b *testing.B) { testkit.Bench(b, rateLimitOK, r) })
	b.Run("admitted", func(b *testing.B) {
		h := middleware.RateLimit(middleware.RateLimitConfig{Limit: math.MaxInt32, Window: time.Hour})(rateLimitOK)
		testkit.Bench(b, h, r)
	})
	b.Run("refused", func(b *testing.B) {
		h := middleware.RateLimit(middleware.RateLimitConfig{Limit: 1, Window: time.Hour})(rateLimitOK)
		testkit.Bench(b, h, r)
	})
	b.Run("admitted-10k-clients", func(b *testing.B) {
		h := middleware.RateLimit(middleware.RateLimitConfig{Limit: math.MaxInt32, Window: time.Hour})(rateLimitOK)
		reqs := make([]*http.Request, 10_000)
		for i := range reqs {
			reqs[i] = httptest.NewRequest(http.MethodGet, "/", nil)
			reqs[i].RemoteAddr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1).String()
		}
		w := &testkit.Discard{}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			w.Reset()
			h.ServeHTTP(w, reqs[i%len(reqs)])
			i++
		}
	})
}

func TestRateLimitBehindDefault(t *testing.T) {
	var log testkit.Log
	chain := middleware.Default(middleware.DefaultConfig{
		Logger:         log.JSONLogger(nil),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	}).Append(middleware.RateLimit(middleware.RateLimitConfig{Limit: 1, Window: time.Hour}))
	h := chain.Then(rateLimitOK)

	// Two clients behind the same proxy are counted apart.
	for _, c := range []struct {
		client string
		status int
	}{{"203.0.113.1", 200}, {"203.0.113.1", 429}, {"203.0.113.2", 200}} {
		w := rateLimitServe(h, "10.0.0.1:4000", "X-Forwarded-For", c.client)
		if w.Code != c.status {
			t.Fatalf("%s: status %d, want %d", c.client, w.Code, c.status)
		}
	}
	lines := log.Lines(t)
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3: %s", len(lines), log.String())
	}
	if l := lines[1]; l["status"] != float64(429) || l["client_ip"] != "203.0.113.1" || l["level"] != "WARN" {
		t.Errorf("the refusal's line: %v", l)
	}
}

// rateLimitStaleStore's first Take answers only after its second has
// failed: a request in flight when the store went down.
type rateLimitStaleStore struct {
	mu     sync.Mutex
	n      int
	failed chan struct{}
}

func (s *rateLimitStaleStore) Take(ctx context.Context, key string, p middleware.RateLimitPolicy, cost int64) (middleware.RateLimitDecision, error) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	if n == 1 {
		<-s.failed
		return middleware.RateLimitDecision{Allowed: true, Remaining: 1}, nil
	}
	defer close(s.failed)
	return middleware.RateLimitDecision{}, errors.New("connection reset")
}

func TestRateLimitSuccessBegunBeforeAFailureIsNoRecovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log testkit.Log
		lim := middleware.NewRateLimiter(middleware.RateLimitConfig{Limit: 10, Window: time.Second,
			Store: &rateLimitStaleStore{failed: make(chan struct{})}, Log: log.JSONLogger(nil),
			OnStoreError: middleware.RateLimitFailOpen})
		var wg sync.WaitGroup
		wg.Go(func() { lim.Allow(httptest.NewRequest("GET", "/", nil), "k") })
		synctest.Wait() // the first Take is waiting
		wg.Go(func() { lim.Allow(httptest.NewRequest("GET", "/", nil), "k") })
		wg.Wait()
		lines := log.Lines(t)
		if len(lines) != 1 || lines[0]["msg"] != "rate limit store failed" {
			t.Fatalf("want the one failure line, got:\n%s", log.String())
		}
	})
}
