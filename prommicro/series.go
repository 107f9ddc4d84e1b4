package prommicro

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// seriesKey names the series of the requests of one method (folded),
// route and status.
type seriesKey struct {
	method, route string
	status        int
}

// requestSeries are the series a finished request is recorded in, looked
// up in the metric vectors once per key rather than once per request and
// metric: a vector's lookup hashes and checks every label value.
type requestSeries struct {
	requests                    prometheus.Counter
	duration, reqSize, respSize prometheus.Observer
}

// seriesCache holds the requestSeries of each key seen, and the in-flight
// gauge of each method. It grows with the label values, which stay few
// (see the package doc).
type seriesCache struct {
	mu     sync.RWMutex
	series map[seriesKey]*requestSeries

	active [methods]atomic.Pointer[gaugeRef]
}

// gaugeRef holds a gauge for an atomic.Pointer.
type gaugeRef struct{ prometheus.Gauge }

// requestSeries returns the series of requests of method (folded), route
// and status.
func (m *Metrics) requestSeries(method, route string, status int) *requestSeries {
	k := seriesKey{method, route, status}
	m.cache.mu.RLock()
	s := m.cache.series[k]
	m.cache.mu.RUnlock()
	if s != nil {
		return s
	}
	code := m.codes.label(status)
	s = &requestSeries{
		requests: m.requests.WithLabelValues(method, route, code),
		duration: m.duration.WithLabelValues(method, route, code),
		reqSize:  m.reqSize.WithLabelValues(method, route, code),
		respSize: m.respSize.WithLabelValues(method, route, code),
	}
	m.cache.mu.Lock()
	m.cache.series[k] = s // a concurrent twin holds the same series
	m.cache.mu.Unlock()
	return s
}

// activeGauge returns the in-flight gauge of the method of index i and
// label method (see [foldMethod]).
func (m *Metrics) activeGauge(method string, i int) prometheus.Gauge {
	if g := m.cache.active[i].Load(); g != nil {
		return g.Gauge
	}
	g := &gaugeRef{m.active.WithLabelValues(method)}
	m.cache.active[i].Store(g) // a concurrent twin holds the same gauge
	return g.Gauge
}
