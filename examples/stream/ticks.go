package main

import (
	"iter"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/microkit-go/micro"
)

// Tick is an item of the stream.
type Tick struct {
	Tick int64 `json:"tick"`
}

// The bounds of the query parameters.
const (
	maxTicks     = 1_000_000_000
	minEvery     = 10 * time.Millisecond // the error message of everyParam names both
	maxEvery     = time.Hour
	defaultEvery = time.Second
)

// ticker serves the ticks; its streams end when stopping is closed.
type ticker struct {
	stopping <-chan struct{}
}

// ticks is GET /api/ticks?n=N&every=DURATION: the ticks 1 to n, one every
// every, each an event whose ID is its number. A client that sends
// Last-Event-ID k gets the ticks from k+1, or 204 when k is n or more.
// A bad n, every or Last-Event-ID is a 400 that names it.
func (t ticker) ticks(r *http.Request) (any, error) {
	q := r.URL.Query()
	n, err := countParam(q, "n")
	if err != nil {
		return nil, err
	}
	every, err := everyParam(q, "every")
	if err != nil {
		return nil, err
	}
	last, err := lastTick(micro.LastEventID(r))
	if err != nil {
		return nil, err
	}
	if last >= n {
		return nil, nil // nothing left: 204, and an EventSource stops
	}
	return micro.Stream(t.events(r, last+1, n, every)), nil
}

// events yields the ticks from..to as events: the first at once, each
// next one every after the one before was sent. It ends after to, when
// the client goes away or when the server stops.
func (t ticker) events(r *http.Request, from, to int64, every time.Duration) iter.Seq[micro.Event] {
	return func(yield func(micro.Event) bool) {
		timer := time.NewTimer(every)
		defer timer.Stop()
		for i := from; ; i++ {
			if !yield(micro.Event{ID: strconv.FormatInt(i, 10), Data: Tick{i}}) || i >= to {
				return
			}
			timer.Reset(every) // from now, the item is sent; Go 1.23 timers leave no stale tick to drain
			select {
			case <-timer.C:
			case <-r.Context().Done(): // the client went away
				return
			case <-t.stopping: // the server is shutting down
				return
			}
		}
	}
}

// countParam reads the number of ticks: an integer from 1 to maxTicks, or
// no end (math.MaxInt64) when the parameter is absent or empty.
func countParam(q url.Values, name string) (int64, error) {
	v, err := oneParam(q, name)
	if err != nil || v == "" {
		return math.MaxInt64, err
	}
	n, ok := parseDigits(v)
	if !ok || n < 1 || n > maxTicks {
		return 0, micro.Errorf(http.StatusBadRequest, "%s must be an integer from 1 to %d, not %.32q", name, maxTicks, v)
	}
	return n, nil
}

// everyParam reads the interval between ticks: a Go duration from
// minEvery to maxEvery, or defaultEvery when the parameter is absent or
// empty.
func everyParam(q url.Values, name string) (time.Duration, error) {
	v, err := oneParam(q, name)
	if err != nil || v == "" {
		return defaultEvery, err
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < minEvery || d > maxEvery {
		return 0, micro.Errorf(http.StatusBadRequest, "%s must be a duration from 10ms to 1h, such as 500ms or 2s, not %.32q", name, v)
	}
	return d, nil
}

// oneParam returns the value of a query parameter given at most once; ""
// when it is absent or empty.
func oneParam(q url.Values, name string) (string, error) {
	switch vs := q[name]; len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	default:
		return "", micro.Errorf(http.StatusBadRequest, "%s is given %d times; give it once", name, len(vs))
	}
}

// lastTick reads a Last-Event-ID: the number of the last tick the client
// received, 0 when there is none.
func lastTick(id string) (int64, error) {
	if id == "" {
		return 0, nil
	}
	n, ok := parseDigits(id)
	if !ok {
		return 0, micro.Errorf(http.StatusBadRequest, "Last-Event-ID must be the id of a tick, a whole number, not %.32q", id)
	}
	return n, nil
}

// parseDigits parses a non-negative decimal integer of ASCII digits only:
// no sign, no spaces, no underscores, nothing over math.MaxInt64.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
