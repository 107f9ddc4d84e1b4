package main

import (
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/examples/comments/api"
	"github.com/microkit-go/micro/redisstore/internal/redistest"
)

// start runs the command with args on a free port until the test ends and
// returns its address.
func start(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, flag.NewFlagSet("comments", flag.ContinueOnError),
			append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard,
			api.Options{Listening: func(a net.Addr) { addrs <- a }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("run did not return 20 s after its context ended")
		}
	})
	select {
	case a := <-addrs:
		return a.String()
	case err := <-done:
		t.Fatalf("run returned %v before listening", err)
	case <-time.After(20 * time.Second):
		t.Fatal("not listening after 20 s")
	}
	return ""
}

// post posts a comment to addr and returns the status.
func post(t *testing.T, client *http.Client, addr string) int {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+addr+"/api/comments", strings.NewReader(`{"comment":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	res, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestThreeInstancesShareOneLimit is the README's demo: three instances
// with -redis, posts spread over them, ten admitted in all, then 429s
// from every one.
func TestThreeInstancesShareOneLimit(t *testing.T) {
	srv := redistest.Start(t)
	var addrs []string
	for range 3 {
		addrs = append(addrs, start(t, "-redis", srv.Addr(), "-redis-prefix", "demo:"))
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	var got []int
	for i := range 13 {
		got = append(got, post(t, client, addrs[i%3]))
	}
	want := []int{201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 429, 429, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	if keys := srv.Do("KEYS", "demo:*"); !strings.Contains(keys, "demo:127.0.0.1") {
		t.Errorf("keys in Redis: %q, want demo:127.0.0.1", keys)
	}
}

// TestWithoutRedisEachInstanceCountsAlone: without -redis, the counts
// are each process's own.
func TestWithoutRedisEachInstanceCountsAlone(t *testing.T) {
	a, b := start(t, "-post-limit", "1"), start(t, "-post-limit", "1")
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	if got := []int{post(t, client, a), post(t, client, b), post(t, client, a)}; got[0] != 201 || got[1] != 201 || got[2] != 429 {
		t.Errorf("statuses %v, want [201 201 429]", got)
	}
}

// TestABadRedisAddressStopsBeforeListening: a -redis the client cannot
// reach is run's error, and nothing listens.
func TestABadRedisAddressStopsBeforeListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a port nothing listens on
	err = run(t.Context(), flag.NewFlagSet("comments", flag.ContinueOnError),
		[]string{"-addr", "127.0.0.1:0", "-redis", addr}, io.Discard,
		api.Options{Listening: func(net.Addr) { t.Error("listened") }})
	if err == nil || !strings.HasPrefix(err.Error(), "rate limit store: ") {
		t.Errorf("run = %v, want a rate limit store error", err)
	}
}
