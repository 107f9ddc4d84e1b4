package redisstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/redisstore/internal/redistest"
	"github.com/redis/rueidis"
)

// newClient opens a rueidis client of the servers at addrs (one server, or
// the nodes of a cluster), closed when the test ends.
func newClient(t testing.TB, addrs ...string) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: addrs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// newStore returns a store of cfg through a new client of addrs.
func newStore(t testing.TB, cfg Config, addrs ...string) (*Store, rueidis.Client) {
	t.Helper()
	c := newClient(t, addrs...)
	s, err := New(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// get returns the value of key, "" when there is none.
func get(t testing.TB, c rueidis.Client, key string) string {
	t.Helper()
	v, err := c.Do(t.Context(), c.B().Get().Key(key).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// expiry returns what the server holds for key, its time to live (-2ms
// when it has none), and the server's time after reading them, in one
// pipeline.
func expiry(t testing.TB, c rueidis.Client, key string) (v string, ttl, now time.Duration) {
	t.Helper()
	res := c.DoMulti(t.Context(), c.B().Get().Key(key).Build(), c.B().Pttl().Key(key).Build(), c.B().Time().Build())
	v, err := res[0].ToString()
	if rueidis.IsRedisNil(err) {
		v, err = "", nil
	}
	ms, err2 := res[1].AsInt64()
	tm, err3 := res[2].AsStrSlice()
	if err = errors.Join(err, err2, err3); err != nil || len(tm) != 2 {
		t.Fatalf("GET, PTTL, TIME: %v %v", err, tm)
	}
	sec, err := strconv.ParseInt(tm[0], 10, 64)
	usec, err2 := strconv.ParseInt(tm[1], 10, 64)
	if err = errors.Join(err, err2); err != nil {
		t.Fatal(err)
	}
	return v, time.Duration(ms) * time.Millisecond, time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
}

// ttlBound is the most PTTL can report for a key whose TAT is full ahead
// of the time of the Take: the key expires at the TAT rounded up to the
// millisecond, and PTTL counts from the server's millisecond, which may lie
// up to 1ms before the time.
func ttlBound(full time.Duration) time.Duration {
	return (full + time.Millisecond - 1).Truncate(time.Millisecond) + time.Millisecond
}

func TestTakeIsDecideOnTheScriptsValues(t *testing.T) {
	srv := redistest.Start(t)
	s, c := newStore(t, Config{}, srv.Addr())
	policies := []middleware.RateLimitPolicy{
		{Interval: time.Nanosecond, Burst: 1_000_000}, // rounded up to 1µs
		{Interval: 37_300 * time.Nanosecond, Burst: 3},
		{Interval: 1_234_567 * time.Nanosecond, Burst: 5},
		{Interval: 250*time.Microsecond + 1, Burst: 1},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	stored := make([]time.Duration, len(policies)) // each key's TAT in the server, 0 for none
	allowed := make([]int, len(policies))
	refused := make([]int, len(policies))
	for i := range 4000 {
		k := rng.IntN(len(policies))
		p, key := policies[k], "k"+strconv.Itoa(k)
		cost := rng.Int64N(min(p.Burst, 4) + 2) // sometimes over the burst
		if rng.IntN(4) == 0 {
			time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
		}
		st, err := s.take(t.Context(), key, p, cost)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		// The TAT read is the one written last, or none once it expired.
		if st.tat != stored[k] && (st.tat != 0 || stored[k] > st.now) {
			t.Fatalf("step %d, key %s: the script read TAT %v, the last written was %v (now %v)", i, key, st.tat, stored[k], st.now)
		}
		stored[k] = st.tat
		if !st.decision.Allowed {
			refused[k]++
			continue
		}
		allowed[k]++
		if cost == 0 {
			continue // nothing written
		}
		stored[k] = st.next
		// The key holds Decide's next TAT and expires after it, never
		// before: a key read as gone must be so at a time after its TAT.
		got, ttl, now := expiry(t, c, DefaultPrefix+key)
		if got == "" {
			if now <= st.next {
				t.Fatalf("step %d, key %s: gone at %v, before its TAT %v", i, key, now, st.next)
			}
			continue
		}
		if want := strconv.FormatInt(int64(st.next/time.Microsecond), 10); got != want {
			t.Fatalf("step %d, key %s: the server holds TAT %q, Decide's next is %s", i, key, got, want)
		}
		// PTTL is 0 in the key's last millisecond; -1ms would be no expiry.
		if bound := ttlBound(st.next - st.now); ttl < 0 || ttl > bound {
			t.Fatalf("step %d, key %s: PTTL %v, want in [0, %v]", i, key, ttl, bound)
		}
	}
	for k := range policies {
		t.Logf("policy %+v: %d allowed, %d refused", policies[k], allowed[k], refused[k])
		if allowed[k] == 0 || (policies[k].Burst < 10 && refused[k] == 0) {
			t.Errorf("policy %+v: %d allowed, %d refused: both paths must be taken", policies[k], allowed[k], refused[k])
		}
	}
}

// commandStats returns, from one INFO call, total_commands_processed and
// the calls of each command (by its lower-case name). The total counts the
// commands a script runs too.
func commandStats(t testing.TB, srv *redistest.Server) (total int, calls map[string]int) {
	t.Helper()
	calls = map[string]int{}
	for line := range strings.SplitSeq(srv.Do("INFO", "stats", "commandstats"), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
			total = atoi(t, v)
		}
		if name, v, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":calls="); ok && name != line {
			calls[name] = atoi(t, strings.Split(v, ",")[0])
		}
	}
	return total, calls
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	i, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestTakeIsOneRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := newStore(t, Config{}, srv.Addr())
	p := middleware.RateLimitPolicy{Interval: time.Millisecond, Burst: 100}
	take := func(n int) {
		for range n {
			if _, err := s.Take(t.Context(), "k", p, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	take(1) // the client's connection handshake and the script's first load
	const n = 500
	cases := []struct {
		name              string
		before            func()
		others, evalCalls int // commands sent besides the Takes' EVALSHAs; EVALs among them
	}{
		{"script loaded: one EVALSHA per Take", func() {}, 0, 0},
		// SCRIPT FLUSH; then the first Take's EVALSHA is answered NOSCRIPT
		// (and counted in EVALSHA's calls), and it sends EVAL.
		{"after SCRIPT FLUSH: one EVAL more", func() { srv.Do("SCRIPT", "FLUSH") }, 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			total0, calls0 := commandStats(t, srv)
			tc.before()
			take(n)
			total1, calls1 := commandStats(t, srv)
			delta := func(cmd string) int { return calls1[cmd] - calls0[cmd] }
			// The script runs TIME once and GET once, and SET when it admits:
			// the total counts them. The first INFO is counted once it has
			// run, the second not yet.
			scripts := delta("time")
			sent := total1 - total0 - 1 - scripts - delta("get") - delta("set")
			// rueidis may open a connection while the Takes run; its
			// handshake is not the Takes' work.
			handshake := delta("hello") + delta("client|tracking") + delta("client|setinfo") + delta("cluster|slots") + delta("ping")
			sent -= handshake
			t.Logf("%d Takes: %d commands sent, %d EVALSHA, %d EVAL, %d script runs; %d handshake commands", n, sent, delta("evalsha"), delta("eval"), scripts, handshake)
			if sent != n+tc.others || delta("evalsha") != n || delta("eval") != tc.evalCalls || scripts != n || delta("get") != n {
				t.Errorf("want %d commands sent, %d EVALSHA, %d EVAL, %d script runs, each one GET; calls before %v, after %v", n+tc.others, n, tc.evalCalls, n, calls0, calls1)
			}
		})
	}
}

func TestTakeSurvivesScriptFlushUnderLoad(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := newStore(t, Config{}, srv.Addr())
	p := middleware.RateLimitPolicy{Interval: time.Microsecond, Burst: 1 << 30}
	const workers, takes, flushes = 8, 300, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for range takes {
				if _, err := s.Take(t.Context(), "k"+strconv.Itoa(w), p, 1); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range flushes {
		srv.Do("SCRIPT", "FLUSH")
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, calls := commandStats(t, srv)
	t.Logf("%d Takes, %d SCRIPT FLUSH: %d EVALSHA, %d EVAL", workers*takes, flushes, calls["evalsha"], calls["eval"])
	if calls["eval"] == 0 {
		t.Error("no EVAL: the flushes did not hit the Takes")
	}
}

func TestTakeKeysCarryThePrefixAndExpireWhenFull(t *testing.T) {
	srv := redistest.Start(t)
	p := middleware.RateLimitPolicy{Interval: 100 * time.Millisecond, Burst: 10}
	for _, prefix := range []string{"", "app:"} {
		t.Run("prefix "+strconv.Quote(prefix), func(t *testing.T) {
			s, c := newStore(t, Config{Prefix: prefix}, srv.Addr())
			d, err := s.Take(t.Context(), "k", p, 3)
			if err != nil {
				t.Fatal(err)
			}
			want := prefix
			if prefix == "" {
				want = DefaultPrefix
			}
			v, ttl, _ := expiry(t, c, want+"k")
			if v == "" {
				t.Fatalf("no key %q", want+"k")
			}
			if ttl <= 0 || ttl > ttlBound(d.Reset) {
				t.Fatalf("PTTL %v, want in (0, %v], the time to the full burst %v rounded up", ttl, ttlBound(d.Reset), d.Reset)
			}
			if d.Reset != 300*time.Millisecond || d.Remaining != 7 {
				t.Fatalf("decision %+v, want Remaining 7, Reset 300ms", d)
			}
		})
	}
}

func TestTakeOfCostZeroWritesNothing(t *testing.T) {
	srv := redistest.Start(t)
	s, c := newStore(t, Config{}, srv.Addr())
	d, err := s.Take(t.Context(), "k", middleware.RateLimitPolicy{Interval: time.Second, Burst: 5}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || d.Remaining != 5 || d.Reset != 0 {
		t.Fatalf("decision %+v, want allowed with 5 remaining and Reset 0", d)
	}
	if v := get(t, c, DefaultPrefix+"k"); v != "" {
		t.Fatalf("key holds %q after a Take of cost 0", v)
	}
}

func TestTakeErrors(t *testing.T) {
	srv := redistest.Start(t)
	s, c := newStore(t, Config{}, srv.Addr())
	srv.Do("SET", DefaultPrefix+"text", "not a time")
	srv.Do("HSET", DefaultPrefix+"hash", "f", "v")
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	ok := middleware.RateLimitPolicy{Interval: time.Second, Burst: 5}
	cases := []struct {
		name string
		ctx  context.Context
		key  string
		p    middleware.RateLimitPolicy
		cost int64
		is   error
	}{
		{"negative cost", t.Context(), "a", ok, -1, nil},
		{"zero interval", t.Context(), "a", middleware.RateLimitPolicy{Burst: 5}, 1, nil},
		{"zero burst", t.Context(), "a", middleware.RateLimitPolicy{Interval: time.Second}, 1, nil},
		{"burst times interval over 2^52µs", t.Context(), "a", middleware.RateLimitPolicy{Interval: time.Hour, Burst: 2_000_000}, 1, nil},
		{"key holding text", t.Context(), "text", ok, 1, nil},
		{"key holding a hash", t.Context(), "hash", ok, 1, nil},
		{"context canceled", canceled, "a", ok, 1, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := s.Take(tc.ctx, tc.key, tc.p, tc.cost)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("Take = %+v, %v; want an error (%v)", d, err, tc.is)
			}
			if d != (middleware.RateLimitDecision{}) {
				t.Fatalf("decision %+v with the error", d)
			}
		})
	}
	if v := get(t, c, DefaultPrefix+"a"); v != "" {
		t.Fatalf("a failed Take wrote %q", v)
	}
}

func TestNewRefuses(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	cases := []struct {
		name   string
		client rueidis.Client
		cfg    Config
		want   string
	}{
		{"a prefix with a hash tag", c, Config{Prefix: "{rl}:"}, "redisstore: Config.Prefix must not hold '{'"},
		{"a nil client", nil, Config{}, "redisstore: New needs a client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.client, tc.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || s != nil {
				t.Fatalf("New = %v, %v; want an error starting %q", s, err, tc.want)
			}
		})
	}
}
