package main

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// sample is one server's figures over one measured window, per request.
type sample struct {
	Requests  int64
	CPUMicros float64 // user + system CPU time of the server process
	Allocs    float64
	Bytes     float64
	P50, P99  time.Duration
}

// pairResult is one paired measurement: Server and the baseline loaded at
// the same moment on Endpoint.
type pairResult struct {
	Round    int
	Server   string
	Endpoint string
	S, Base  sample
}

// pairJob is a server to measure against the baseline on an endpoint.
type pairJob struct {
	server *child
	label  string
	ep     endpoint
}

// runRounds measures every job against base in each of rounds rounds, in
// a new random order per round, warming both servers up (untimed) before
// each measured window.
func runRounds(jobs []pairJob, base *child, rounds, conns int, warm, d time.Duration, progress func(string)) ([]pairResult, error) {
	var results []pairResult
	for round := 1; round <= rounds; round++ {
		order := append([]pairJob(nil), jobs...)
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, j := range order {
			progress(fmt.Sprintf("round %d/%d: %s against %s on %s", round, rounds, j.label, base.name, j.ep.name))
			if _, err := window([]*child{j.server, base}, j.ep, conns, warm); err != nil {
				return nil, fmt.Errorf("warming up %s: %w", j.label, err)
			}
			s, err := window([]*child{j.server, base}, j.ep, conns, d)
			if err != nil {
				return nil, fmt.Errorf("round %d, %s on %s: %w", round, j.label, j.ep.name, err)
			}
			results = append(results, pairResult{Round: round, Server: j.label, Endpoint: j.ep.name, S: s[0], Base: s[1]})
		}
	}
	return results, nil
}

// window loads every server at the same moment, each with conns
// connections of its own, for d, and returns each server's sample. The
// servers' counters are read after the connections are open and after the
// last response, so dialling and closing are not counted.
func window(children []*child, ep endpoint, conns int, d time.Duration) ([]sample, error) {
	groups := make([][]*loadConn, len(children))
	defer func() {
		for _, g := range groups {
			closeAll(g)
		}
	}()
	before := make([]processStats, len(children))
	for i, c := range children {
		g, err := dial(c.addr, ep, conns)
		if err != nil {
			return nil, fmt.Errorf("connecting to %s: %w", c.name, err)
		}
		groups[i] = g
	}
	for i, c := range children {
		s, err := c.stats()
		if err != nil {
			return nil, err
		}
		before[i] = s
	}
	if err := runLoad(groups, d); err != nil {
		return nil, err
	}
	samples := make([]sample, len(children))
	for i, c := range children {
		after, err := c.stats()
		if err != nil {
			return nil, err
		}
		n, h := totals(groups[i])
		if n == 0 {
			return nil, fmt.Errorf("%s: %w", c.name, errNoRequests)
		}
		delta := after.sub(before[i])
		samples[i] = sample{
			Requests:  n,
			CPUMicros: float64(delta.cpuMicros) / float64(n),
			Allocs:    float64(delta.allocs) / float64(n),
			Bytes:     float64(delta.bytes) / float64(n),
			P50:       h.quantile(0.50),
			P99:       h.quantile(0.99),
		}
	}
	return samples, nil
}
