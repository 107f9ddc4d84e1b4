package main

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// dialCanned opens n connections for the endpoint name to a
// [cannedServer] answering reply; they close when the test ends.
func dialCanned(t *testing.T, reply, name string, n int) []*loadConn {
	t.Helper()
	ep, err := newEndpoint(name)
	if err != nil {
		t.Fatal(err)
	}
	conns, err := dial(cannedServer(t, reply), ep, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(conns) })
	return conns
}

// cannedServer accepts connections on 127.0.0.1 and answers every
// request's first bytes with reply (nothing when reply is empty), until
// the test ends.
func cannedServer(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go func() {
				buf, out := make([]byte, 4096), []byte(reply)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
					if len(out) > 0 {
						c.Write(out)
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestLoadCountsRequestsAndLatencies(t *testing.T) {
	conns := dialCanned(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]", "list", 2)
	if err := runLoad([][]*loadConn{conns}, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	n, h := totals(conns)
	if n == 0 || h.n != uint64(n) {
		t.Fatalf("%d requests, %d latencies; want as many, more than none", n, h.n)
	}
}

func TestLoadFailsOnAnUnexpectedStatus(t *testing.T) {
	conns := dialCanned(t, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "post", 1)
	err := runLoad([][]*loadConn{conns}, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "status 200, want 201") {
		t.Fatalf("runLoad error = %v, want the unexpected status", err)
	}
}

func TestLoadFailsWhenTheServerHangs(t *testing.T) {
	conns := dialCanned(t, "", "item", 1)
	conns[0].timeout = 50 * time.Millisecond
	err := runLoad([][]*loadConn{conns}, time.Minute)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("runLoad error = %v, want the deadline", err)
	}
}

func TestARequestAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	conns := dialCanned(t, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}", "post", 1)
	lc := conns[0]
	lc.start()
	allocs := testing.AllocsPerRun(200, func() {
		if err := lc.do(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per request, want 0", allocs)
	}
}

func TestInterleaveTakesEachGroupInTurn(t *testing.T) {
	a, b, c := &loadConn{}, &loadConn{}, &loadConn{}
	d, e := &loadConn{}, &loadConn{}
	got := interleave([][]*loadConn{{a, b, c}, {d}, {}, {e}})
	want := []*loadConn{a, d, e, b, c}
	if len(got) != len(want) {
		t.Fatalf("%d connections, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("connection %d is not the expected one", i)
		}
	}
}
