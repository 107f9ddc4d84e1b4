package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/redisstore/internal/redistest"
	"github.com/redis/rueidis"
)

// keyHeader carries the limit key of a test's request.
const keyHeader = "X-Limit-Key"

// instance is one server of an application run several times: its own
// client of the shared store, its own RateLimiter, its own log.
type instance struct {
	srv    *httptest.Server
	client rueidis.Client
	log    testkit.Log // the limiter's lines
	errLog testkit.Log // the request log from level WARN: the 503s' lines

	mu       sync.Mutex
	admitted map[string]int // requests that reached the handler, per key
}

// startInstances starts n instances of an application limited by cfg, each
// with a store through its own client of the servers at addrs, and the key
// of keyHeader. They are closed when the test ends.
func startInstances(t testing.TB, n int, cfg middleware.RateLimitConfig, addrs ...string) []*instance {
	t.Helper()
	out := make([]*instance, n)
	for i := range out {
		in := &instance{admitted: map[string]int{}}
		in.client = newClient(t, addrs...)
		s, err := New(in.client, Config{})
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Store = s
		c.Log = in.log.JSONLogger(slog.LevelInfo)
		c.Key = func(r *http.Request) (string, error) { return r.Header.Get(keyHeader), nil }
		limited := middleware.NewRateLimiter(c).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			in.mu.Lock()
			in.admitted[r.Header.Get(keyHeader)]++
			in.mu.Unlock()
		}))
		in.srv = httptest.NewServer(middleware.Logger(in.errLog.JSONLogger(slog.LevelWarn))(limited))
		t.Cleanup(in.srv.Close)
		out[i] = in
	}
	return out
}

// outcome is one response a load client read.
type outcome struct {
	inst        int // the index of the instance in load's insts
	key         string
	status      int
	retryAfter  string
	contentType string
	rateLimit   string
	started     time.Time
}

// load runs clients goroutines, each sending requests one after the other
// on a keep-alive connection to one of insts with one of keys (every key
// reaches every instance), until stop returns true; requests in flight
// then finish. observe receives every response, from the goroutines. A
// failed request is reported with t.Error. load returns when every
// goroutine has.
func load(t testing.TB, ctx context.Context, insts []*instance, keys []string, clients int, stop func() bool, observe func(outcome)) {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for g := range clients {
		i, key := g%len(insts), keys[(g/len(insts))%len(keys)]
		in := insts[i]
		wg.Go(func() {
			for !stop() {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.srv.URL, nil)
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set(keyHeader, key)
				o := outcome{inst: i, key: key, started: time.Now()}
				res, err := hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil {
					t.Error(err)
					return
				}
				o.status, o.retryAfter = res.StatusCode, res.Header.Get("Retry-After")
				o.contentType, o.rateLimit = res.Header.Get("Content-Type"), res.Header.Get("RateLimit")
				observe(o)
			}
		})
	}
	wg.Wait()
}

// serverTime returns the time of the server at addr (TIME), since the
// epoch. It fails the test on an error.
func serverTime(t testing.TB, addr string) time.Duration {
	t.Helper()
	d, err := timeOf(addr)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// timeOf is [serverTime] returning its error, for a goroutine other than
// the test's.
func timeOf(addr string) (time.Duration, error) {
	r, err := redistest.Do(addr, "TIME")
	if err != nil {
		return 0, err
	}
	sec, usec, _ := strings.Cut(r, "\n")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	u, err2 := strconv.ParseInt(usec, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("TIME replied %q", r)
	}
	return time.Duration(s)*time.Second + time.Duration(u)*time.Microsecond, nil
}

// warmUp sends one request to each instance, under a key of its own, so
// that each instance's client has connected to the store.
func warmUp(t testing.TB, ctx context.Context, insts []*instance) {
	t.Helper()
	for _, in := range insts {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(keyHeader, "warm-up "+t.Name())
		if res := testkit.Do(t, in.srv.Client(), req); res.Status != http.StatusOK {
			t.Fatalf("warm-up request: %d %s", res.Status, res.Body)
		}
	}
}

// statusCounts counts the statuses of load's outcomes per key.
type statusCounts struct {
	mu sync.Mutex
	n  map[string]map[int]int
}

func (c *statusCounts) observe(o outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]map[int]int{}
	}
	if c.n[o.key] == nil {
		c.n[o.key] = map[int]int{}
	}
	c.n[o.key][o.status]++
}

// allRefused reports whether every key has had a 429.
func (c *statusCounts) allRefused(keys []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if c.n[k][http.StatusTooManyRequests] == 0 {
			return false
		}
	}
	return true
}

// saturationCap bounds a run of checkShared at that many spans.
const saturationCap = 4

// shareTimeout is the StoreTimeout of the load tests of sharing: far
// above any answer's time on a busy machine, so that every request is
// decided by the store and the counts are the store's. (A Take that times
// out may still be charged by the server, and is refused here.)
const shareTimeout = 5 * time.Second

// checkShared runs load over insts for span, then checks each key's
// admitted requests (counted by the instances' handlers, and equal to the
// clients' 200s) against the GCRA bound, Burst + elapsed/Interval, with
// elapsed on the store's clock (timeAddr's TIME for the key): never above
// the bound at the end of the run, when every request has been answered,
// and within 1% below the bound at the moment the clients stopped sending
// (the requests then in flight end the run without a steady demand).
//
// The lower bound holds only while the clients ask for more than the
// limit: a key whose bucket sits full wastes its refill. So the clients
// stop after span only once every key has been refused at least once, and
// at the latest after saturationCap spans, when a key still never refused
// fails the test as a load too weak to judge (a busy machine under -race
// may need longer than span to drain a large burst).
func checkShared(t *testing.T, insts []*instance, cfg middleware.RateLimitConfig, keys []string, timeAddr func(key string) string, span time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), saturationCap*span+testkit.Patience)
	defer cancel()
	// The instances' clients connect before the clock starts: the bound
	// counts from the first admission.
	warmUp(t, ctx, insts)
	start, stopped := map[string]time.Duration{}, map[string]time.Duration{}
	for _, k := range keys {
		start[k] = serverTime(t, timeAddr(k))
	}
	var stop atomic.Bool
	var stopErr error
	var counts statusCounts
	stopper := make(chan struct{})
	go func() {
		defer close(stopper)
		began := time.Now()
		time.Sleep(span)
		for !counts.allRefused(keys) && time.Since(began) < saturationCap*span {
			time.Sleep(10 * time.Millisecond)
		}
		for _, k := range keys {
			d, err := timeOf(timeAddr(k))
			stopped[k], stopErr = d, errors.Join(stopErr, err)
		}
		stop.Store(true)
	}()
	load(t, ctx, insts, keys, 48, stop.Load, counts.observe)
	<-stopper
	if stopErr != nil {
		t.Fatal(stopErr)
	}
	interval := (cfg.Window/time.Duration(cfg.Limit) + time.Microsecond - 1).Truncate(time.Microsecond)
	burst := cmpOr(cfg.Burst, cfg.Limit)
	for _, k := range keys {
		elapsed := serverTime(t, timeAddr(k)) - start[k]
		bound, steady := burst+int64(elapsed/interval), burst+int64((stopped[k]-start[k])/interval)
		served := 0
		for _, in := range insts {
			in.mu.Lock()
			served += in.admitted[k]
			in.mu.Unlock()
		}
		c := counts.n[k]
		t.Logf("key %q: %d admitted (%d reached the handlers), %d refused; bound %d after %v of the store's time, %d when the clients stopped",
			k, c[http.StatusOK], served, c[http.StatusTooManyRequests], bound, elapsed, steady)
		if served != c[http.StatusOK] || len(c) != 2 {
			t.Errorf("key %q: statuses %v, %d requests reached the handlers; want only 200 and 429, every 200 from the handlers", k, c, served)
			for _, in := range insts {
				t.Logf("log of %s:\n%s", in.srv.URL, in.log.String())
			}
		}
		if lo := steady - steady/100; int64(served) < lo || int64(served) > bound {
			t.Errorf("key %q: %d admitted, want %d to %d", k, served, lo, bound)
		}
	}
}

func cmpOr(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

func TestThreeInstancesShareOneLimit(t *testing.T) {
	srv := redistest.Start(t)
	cases := []struct {
		name string
		cfg  middleware.RateLimitConfig
		span time.Duration
	}{
		// The refill over the run is under one request: exactly the burst.
		{"1000 per hour", middleware.RateLimitConfig{Limit: 1000, Window: time.Hour, StoreTimeout: shareTimeout}, 2 * time.Second},
		// 1000 at once, then one every 5ms: 400 more over the run. (The
		// large burst makes the 1% a span of 70ms, which a stall of a busy
		// machine does not eat.)
		{"200 per second", middleware.RateLimitConfig{Limit: 200, Window: time.Second, Burst: 1000, StoreTimeout: shareTimeout}, 2 * time.Second},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			insts := startInstances(t, 3, tc.cfg, srv.Addr())
			key := "shared" + strconv.Itoa(i)
			checkShared(t, insts, tc.cfg, []string{key}, func(string) string { return srv.Addr() }, tc.span)
		})
	}
}

// keysOnEachNode returns one limit key, named prefix and a number, on each
// node of cl, found with CLUSTER KEYSLOT.
func keysOnEachNode(t testing.TB, cl *redistest.Cluster, prefix string) []string {
	t.Helper()
	var keys []string
	nodes := map[string]bool{}
	for i := 0; len(nodes) < len(cl.Nodes); i++ {
		k := prefix + strconv.Itoa(i)
		if addr := cl.NodeOf(t, DefaultPrefix+k).Addr(); !nodes[addr] {
			nodes[addr] = true
			keys = append(keys, k)
		}
	}
	return keys
}

func TestThreeInstancesShareLimitsOnACluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	addrOf := func(k string) string { return cl.NodeOf(t, DefaultPrefix+k).Addr() }
	cases := []struct {
		name string
		cfg  middleware.RateLimitConfig
	}{
		{"1000 per hour", middleware.RateLimitConfig{Limit: 1000, Window: time.Hour, StoreTimeout: shareTimeout}},
		{"200 per second", middleware.RateLimitConfig{Limit: 200, Window: time.Second, Burst: 1000, StoreTimeout: shareTimeout}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys := keysOnEachNode(t, cl, "user"+strconv.Itoa(i)+":")
			for _, k := range keys {
				t.Logf("key %q on node %s", k, addrOf(k))
			}
			insts := startInstances(t, 3, tc.cfg, cl.Addrs()...)
			checkShared(t, insts, tc.cfg, keys, addrOf, 2*time.Second)
		})
	}
}
