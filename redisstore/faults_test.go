package redisstore

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/redisstore/internal/redistest"
)

// TestStoreFaults runs three instances under load while their shared
// server dies (SIGKILL, then a restart on the same port, empty) or hangs
// (SIGSTOP, then SIGCONT), for each OnStoreError mode: the requests made
// while the server is out are answered by the mode, every one of them in
// time; once it is back each limiter decides through it again, without a
// restart of the application; each limiter logs exactly one line at each
// switch; and nothing is left running after the instances and their
// clients are closed.
func TestStoreFaults(t *testing.T) {
	faults := []struct {
		name      string
		out, back func(*redistest.Server)
	}{
		{"killed and restarted", (*redistest.Server).Kill, (*redistest.Server).Restart},
		{"hanging", (*redistest.Server).Stop, (*redistest.Server).Cont},
	}
	modes := []struct {
		mode middleware.RateLimitFailure
		// check checks the outcome of a request made while the server was
		// out; it runs on a load goroutine and returns what is wrong.
		check func(o outcome) string
	}{
		{middleware.RateLimitFailClosed, func(o outcome) string {
			if o.status != http.StatusServiceUnavailable || o.contentType != "application/problem+json" || o.retryAfter == "" {
				return "want a 503 problem with Retry-After"
			}
			return ""
		}},
		{middleware.RateLimitFailOpen, func(o outcome) string {
			if o.status != http.StatusOK || o.rateLimit != "" {
				return "want 200 without a RateLimit header"
			}
			return ""
		}},
		{middleware.RateLimitFailLocal, func(o outcome) string {
			if (o.status != http.StatusOK && o.status != http.StatusTooManyRequests) || o.rateLimit == "" {
				return "want 200 or 429 with a RateLimit header"
			}
			return ""
		}},
	}
	for _, f := range faults {
		for _, m := range modes {
			t.Run(f.name+"/"+m.mode.String(), func(t *testing.T) {
				testFault(t, f.out, f.back, m.mode, m.check)
			})
		}
	}
}

func testFault(t *testing.T, out, back func(*redistest.Server), mode middleware.RateLimitFailure, check func(outcome) string) {
	srv := redistest.Start(t)
	base := runtime.NumGoroutine()
	cfg := middleware.RateLimitConfig{
		Limit: 50, Window: time.Second, // one every 20ms
		OnStoreError: mode,
		// Far above an answer's time on a busy machine (under the race
		// detector too), so that only the fault makes the store fail.
		StoreTimeout: 500 * time.Millisecond,
		StoreRetry:   50 * time.Millisecond,
	}
	interval := cfg.Window / time.Duration(cfg.Limit)
	insts := startInstances(t, 3, cfg, srv.Addr())
	keys := []string{"k"}
	// A hang fails the test instead of running into the package's timeout.
	ctx, cancel := context.WithTimeout(t.Context(), 3*testkit.Patience)
	defer cancel()
	warmUp(t, ctx, insts)

	// Load while the server goes out 200ms in, until a second after (when
	// the requests in flight at a hang have timed out): the requests
	// started once it is out must be answered by the mode.
	var (
		outAt     atomic.Int64 // UnixNano once the server is out
		mu        sync.Mutex
		wrong     []string
		outCount  int
		localSeen = make([]int, len(insts)) // admitted while out, per instance
	)
	go func() {
		time.Sleep(200 * time.Millisecond)
		out(srv)
		outAt.Store(time.Now().UnixNano())
	}()
	stop := func() bool {
		at := outAt.Load()
		return at != 0 && time.Since(time.Unix(0, at)) > cfg.StoreTimeout+500*time.Millisecond
	}
	load(t, ctx, insts, keys, 24, stop, func(o outcome) {
		at := outAt.Load()
		if at == 0 || o.started.UnixNano() < at {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		outCount++
		if o.status == http.StatusOK {
			localSeen[o.inst]++
		}
		if msg := check(o); msg != "" && len(wrong) < 5 {
			wrong = append(wrong, msg+": got "+http.StatusText(o.status)+", RateLimit "+o.rateLimit)
		}
	})
	outSpan := time.Since(time.Unix(0, outAt.Load()))
	if outCount == 0 || len(wrong) > 0 {
		t.Fatalf("%d requests while the server was out; wrong: %v", outCount, wrong)
	}
	t.Logf("%d requests while the server was out, admitted per instance: %v", outCount, localSeen)
	if mode == middleware.RateLimitFailLocal {
		// Each instance limits on its own: at most one burst and the refill.
		for i, n := range localSeen {
			if bound := cfg.Limit + int64(outSpan/interval); int64(n) > bound {
				t.Errorf("instance %d admitted %d while the server was out, over its local bound %d", i, n, bound)
			}
		}
	}

	// Back: load until every limiter has logged its recovery.
	back(srv)
	recovered := func() bool {
		for _, in := range insts {
			if !strings.Contains(in.log.String(), "rate limit store recovered") {
				return false
			}
		}
		return true
	}
	load(t, ctx, insts, keys, 24, func() bool { return recovered() || ctx.Err() != nil }, func(outcome) {})
	if !recovered() {
		t.Fatal("not every limiter recovered")
	}

	// Decided through the server again: over a fresh key, the three
	// instances together are admitted one burst and its refill, not three
	// bursts, and the key is in the server.
	srv.Do("DEL", DefaultPrefix+"k")
	var counts statusCounts
	start := time.Now()
	load(t, ctx, insts, keys, 24, func() bool { return time.Since(start) > 300*time.Millisecond }, counts.observe)
	elapsed := time.Since(start)
	c := counts.n["k"]
	t.Logf("after the recovery: %v in %v", c, elapsed)
	if bound := cfg.Limit + int64(elapsed/interval) + 1; int64(c[http.StatusOK]) > bound || c[http.StatusTooManyRequests] == 0 || len(c) != 2 {
		t.Errorf("after the recovery: %v; want 200s up to the one shared bound %d, and 429s", c, bound)
	}
	if srv.Do("GET", DefaultPrefix+"k") == "" {
		t.Error("no key in the server after the recovery")
	}

	for i, in := range insts {
		lines := testkit.JSONLines[struct{ Level, Msg, Mode, Error string }](t, in.log.String())
		var failed, recov int
		for _, l := range lines {
			switch {
			case l.Msg == "rate limit store failed" && l.Level == "ERROR" && l.Mode == mode.String() && l.Error != "":
				failed++
			case l.Msg == "rate limit store recovered" && l.Level == "INFO":
				recov++
			}
		}
		if failed != 1 || recov != 1 || len(lines) != 2 {
			t.Errorf("instance %d logged:\n%s\nwant one failed line (mode %s) and one recovered line", i, in.log.String(), mode)
		}
	}

	for _, in := range insts {
		in.srv.Close()
		in.client.Close()
	}
	testkit.WaitGoroutines(t, base, testkit.Patience)
}
