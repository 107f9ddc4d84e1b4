// Package prommicro records Prometheus RED metrics (rate, errors,
// duration) of an HTTP server by route, from the one observation
// [middleware.Observe] makes of each finished request.
//
//	reg := prometheus.NewRegistry()
//	m, err := prommicro.New(reg, prommicro.Config{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("GET /metrics", m.Handler())
//	chain := alice.New(m.Middleware).Extend(middleware.Default(cfg))
//	http.ListenAndServe(addr, chain.Then(mux))
//
// The metrics and their labels follow OpenTelemetry's HTTP semantic
// conventions as its Prometheus exporter writes them:
//
//   - http_server_requests_total, a counter, and
//     http_server_request_duration_seconds, a histogram, by
//     http_request_method, http_route and http_response_status_code;
//   - http_server_request_body_size_bytes and
//     http_server_response_body_size_bytes, histograms of the body bytes
//     the handlers read and wrote, by the same three labels;
//   - http_server_active_requests, a gauge of the requests in flight, by
//     http_request_method;
//   - http_server_stream_items_total, a counter of the items (events,
//     lines) the SSE and NDJSON streams of micro.Stream and send.Stream
//     sent, by http_request_method and http_route.
//
// Every label has few values: the method is one of the nine methods of
// RFC 9110 and PATCH, else "_OTHER"; the route is the pattern that
// matched (middleware.RouteFrom), "unmatched" for any request no route
// served, never the raw path; the status is one of the codes net/http can
// send.
package prommicro

import (
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is a set of RED metrics registered on one registry. Its
// [Metrics.Middleware] records requests, its [Metrics.Handler] serves
// them. It is safe for concurrent use and never changes once made.
type Metrics struct {
	requests *prometheus.CounterVec   // method, route, status
	duration *prometheus.HistogramVec // method, route, status
	reqSize  *prometheus.HistogramVec // method, route, status
	respSize *prometheus.HistogramVec // method, route, status
	active   *prometheus.GaugeVec     // method
	items    *prometheus.CounterVec   // method, route

	codes    *statusCodes
	cache    seriesCache
	gatherer prometheus.Gatherer // nil when reg was no Gatherer
}

// New makes the metrics of cfg and registers them with reg. It returns an
// error, and registers nothing, when cfg is invalid (the error of
// [Config.Validate]), when reg is nil, or when reg refuses one of the
// metrics (a prometheus.AlreadyRegisteredError when reg holds these
// metrics already: give a second set its own Namespace, or give every set
// constant labels of the same names and other values).
func New(reg prometheus.Registerer, cfg Config) (*Metrics, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errors.New("prommicro: New needs a Registerer, such as prometheus.NewRegistry() or prometheus.DefaultRegisterer")
	}
	byRequest := []string{labelMethod, labelRoute, labelStatus}
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: cfg.Namespace, Name: name, Help: help, ConstLabels: cfg.ConstLabels}
	}
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		o := opts(name, help)
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: o.Namespace, Name: o.Name, Help: o.Help, ConstLabels: o.ConstLabels, Buckets: buckets,
		}, byRequest)
	}
	sizes := orDefault(cfg.SizeBuckets, DefaultSizeBuckets)
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts(opts("http_server_requests_total",
			"HTTP requests the server finished.")), byRequest),
		duration: histogram("http_server_request_duration_seconds",
			"Time from the request's arrival to its handler's return (a stream's whole life), in seconds.",
			orDefault(cfg.Buckets, DefaultBuckets)),
		reqSize: histogram("http_server_request_body_size_bytes",
			"Request body bytes the handlers read.", sizes),
		respSize: histogram("http_server_response_body_size_bytes",
			"Response body bytes written (0 for HEAD).", sizes),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts(opts("http_server_active_requests",
			"HTTP requests in flight.")), []string{labelMethod}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts(opts("http_server_stream_items_total",
			"Items (server-sent events, NDJSON lines) the finished streams sent.")), []string{labelMethod, labelRoute}),
		codes: newStatusCodes(),
		cache: seriesCache{series: map[seriesKey]*requestSeries{}},
	}
	if err := register(reg, m.requests, m.duration, m.reqSize, m.respSize, m.active, m.items); err != nil {
		return nil, err
	}
	m.gatherer, _ = reg.(prometheus.Gatherer)
	return m, nil
}

// register registers cs with reg in order, or, at the first refusal,
// unregisters those it registered and returns reg's error.
func register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return err
		}
	}
	return nil
}

// Handler returns the handler of a /metrics endpoint: promhttp.HandlerFor
// the registry [New] was given, with promhttp's default options, which
// serves every metric registered there (not only this package's) in the
// format the scraper asks for. It needs that registry to be a
// prometheus.Gatherer, as a *prometheus.Registry and
// prometheus.DefaultRegisterer are; for any other Registerer (one from
// prometheus.WrapRegistererWith, say) Handler panics: serve
// promhttp.HandlerFor the registry's own Gatherer instead.
func (m *Metrics) Handler() http.Handler {
	if m.gatherer == nil {
		panic("prommicro: Handler: the Registerer given to New is not a prometheus.Gatherer; serve promhttp.HandlerFor its Gatherer")
	}
	return promhttp.HandlerFor(m.gatherer, promhttp.HandlerOpts{})
}
