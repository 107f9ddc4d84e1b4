package prommicro

import (
	"net/http"

	"github.com/microkit-go/micro/middleware"
)

// Middleware returns next instrumented: each request counts in
// http_server_active_requests while it runs, and, once its handler has
// returned, [middleware.Observe] reports it and it is recorded in the
// other metrics with its method, route and status (see the package doc).
//
// Put it outside every middleware of [middleware.Default], as
// alice.New(m.Middleware).Extend(middleware.Default(cfg)), so that it
// times the whole request, sees the status of every refusal, the 500 of
// a panic that Recover answers and the 499 of a client that went away,
// and counts the body bytes that went on the wire (compressed). A panic
// that reaches it is recorded as a 500 and goes on; the in-flight count
// is given back all the same.
//
// A stream (micro.Stream, send.Stream) is recorded once, when it ends:
// its duration is the stream's whole life, from the request to its last
// item or the client's leaving, in the same histogram as every request
// of its route, and its items are added to
// http_server_stream_items_total. Give streams their own routes, so that
// their long durations do not blur the latency of the others.
//
// A nil next panics.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	if next == nil {
		panic("prommicro: Middleware wraps a nil http.Handler")
	}
	observed := middleware.Observe(m.observe)(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := m.activeGauge(foldMethod(r.Method))
		g.Inc()
		defer g.Dec()
		observed.ServeHTTP(w, r)
	})
}

// observe records the finished request o.
func (m *Metrics) observe(_ *http.Request, o middleware.Observation) {
	method, _ := foldMethod(o.Method)
	s := m.requestSeries(method, o.Route, o.Status)
	s.requests.Inc()
	s.duration.Observe(o.Duration.Seconds())
	s.reqSize.Observe(float64(o.BytesIn))
	s.respSize.Observe(float64(o.BytesOut))
	if o.Streamed {
		m.items.WithLabelValues(method, o.Route).Add(float64(o.Items))
	}
}
