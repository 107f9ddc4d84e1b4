package main

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds each request and its response: a server that
// hangs fails the run.
const requestTimeout = 10 * time.Second

// loadConn is one keep-alive connection sending one endpoint's request in
// a closed loop: send, read the whole response, repeat.
type loadConn struct {
	conn     net.Conn
	rr       *responseReader
	ep       endpoint
	requests int64
	latency  histogram
	last     time.Time     // when the previous response ended, or the loop began
	timeout  time.Duration // for each request and its response
}

// dial opens n connections to addr for ep; an error closes those opened.
func dial(addr string, ep endpoint, n int) ([]*loadConn, error) {
	conns := make([]*loadConn, 0, n)
	for range n {
		c, err := net.DialTimeout("tcp", addr, requestTimeout)
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		conns = append(conns, &loadConn{conn: c, rr: newResponseReader(c), ep: ep, timeout: requestTimeout})
	}
	return conns, nil
}

// closeAll closes the connections.
func closeAll(conns []*loadConn) {
	for _, lc := range conns {
		lc.conn.Close()
	}
}

// start begins the connection's latency clock.
func (lc *loadConn) start() { lc.last = time.Now() }

// do sends one request and reads its response, recording the time since
// the previous response ended (the loop is closed, so that is the
// request's latency). An error for a failed write or read, a malformed
// response or a status other than the endpoint's.
func (lc *loadConn) do() error {
	if err := lc.conn.SetDeadline(lc.last.Add(lc.timeout)); err != nil {
		return err
	}
	if _, err := lc.conn.Write(lc.ep.raw); err != nil {
		return err
	}
	status, err := lc.rr.read()
	if err != nil {
		return err
	}
	if status != lc.ep.status {
		return fmt.Errorf("status %d, want %d", status, lc.ep.status)
	}
	now := time.Now()
	lc.latency.record(now.Sub(lc.last))
	lc.last = now
	lc.requests++
	return nil
}

// runLoad runs every connection of every group at once, in closed loops,
// for d (requests in flight when d ends are completed), and returns the
// first error, which stops them all.
func runLoad(groups [][]*loadConn, d time.Duration) error {
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	begin := make(chan struct{})
	// Started in turn, one connection of each group after another, so no
	// group's requests go out first.
	for _, lc := range interleave(groups) {
		wg.Go(func() {
			<-begin
			lc.start()
			for !stop.Load() {
				if err := lc.do(); err != nil {
					errOnce.Do(func() { first = fmt.Errorf("%s on %s: %w", lc.ep.name, lc.conn.RemoteAddr(), err) })
					stop.Store(true)
				}
			}
		})
	}
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	close(begin)
	wg.Wait()
	timer.Stop()
	return first
}

// interleave returns the connections of the groups in turn: the first of
// each group, then the second of each, and so on.
func interleave(groups [][]*loadConn) []*loadConn {
	var out []*loadConn
	for i := 0; ; i++ {
		n := len(out)
		for _, g := range groups {
			if i < len(g) {
				out = append(out, g[i])
			}
		}
		if len(out) == n {
			return out
		}
	}
}

// totals returns the requests and the merged latencies of conns.
func totals(conns []*loadConn) (int64, *histogram) {
	var n int64
	h := new(histogram)
	for _, lc := range conns {
		n += lc.requests
		h.add(&lc.latency)
	}
	return n, h
}

// errNoRequests is returned when a measured window saw no request.
var errNoRequests = errors.New("no request completed")
