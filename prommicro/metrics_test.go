package prommicro_test

import (
	"context"
	"errors"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/justinas/alice"
	dto "github.com/prometheus/client_model/go"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/prommicro"
	"github.com/microkit-go/micro/send"
	"github.com/prometheus/client_golang/prometheus"
)

// series names one series of the metrics: its method, route and status
// labels ("" for a label the metric does not have).
type series struct{ Method, Route, Status string }

// hist is what a histogram series holds beside its buckets.
type hist struct {
	Count uint64
	Sum   float64
}

// gather returns the series of the metric name in reg: the value of a
// counter or gauge, the count and sum of a histogram.
func gather(t *testing.T, reg prometheus.Gatherer, name string) (values map[series]float64, hists map[series]hist) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values, hists = map[series]float64{}, map[series]hist{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			s := seriesOf(m)
			switch {
			case m.Counter != nil:
				values[s] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				values[s] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				hists[s] = hist{m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()}
			}
		}
	}
	return values, hists
}

// seriesOf returns the labels of m.
func seriesOf(m *dto.Metric) series {
	var s series
	for _, l := range m.GetLabel() {
		switch l.GetName() {
		case "http_request_method":
			s.Method = l.GetValue()
		case "http_route":
			s.Route = l.GetValue()
		case "http_response_status_code":
			s.Status = l.GetValue()
		}
	}
	return s
}

// values returns the values of the counter or gauge name in reg.
func values(t *testing.T, reg prometheus.Gatherer, name string) map[series]float64 {
	t.Helper()
	v, _ := gather(t, reg, name)
	return v
}

// hists returns the count and sum of each series of the histogram name.
func hists(t *testing.T, reg prometheus.Gatherer, name string) map[series]hist {
	t.Helper()
	_, h := gather(t, reg, name)
	return h
}

// newMetrics returns Metrics on a fresh registry, and the registry.
func newMetrics(t *testing.T) (*prommicro.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := prommicro.New(reg, prommicro.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// chain returns h behind m.Middleware and middleware.Default, as the
// package doc advises.
func chain(m *prommicro.Metrics, h http.Handler) http.Handler {
	d := middleware.Default(middleware.DefaultConfig{Logger: slog.New(slog.DiscardHandler)})
	return alice.New(m.Middleware).Extend(d).Then(h)
}

// The routes of the scripted mix.
const (
	routeComment  = "GET /api/comments/{id}"
	routeComments = "POST /api/comments"
	routeFail     = "GET /fail"
	routePanic    = "GET /panic"
	routeWait     = "GET /wait"
	routeStream   = "GET /stream"
)

// streamItems is how many items the /stream route sends.
const streamItems = 7

// mixMux returns the routes of the scripted mix; entered receives once
// each time /wait starts waiting for its client to go away.
func mixMux(entered chan<- struct{}) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle(routeComment, micro.Handler(func(r *http.Request) (any, error) {
		return map[string]string{"id": r.PathValue("id")}, nil
	}))
	mux.Handle(routeComments, micro.Handler(func(r *http.Request) (any, error) {
		v, err := micro.JSON[map[string]string](r)
		if err != nil {
			return nil, err
		}
		return &micro.Response{Status: http.StatusCreated, Body: v}, nil
	}))
	mux.Handle(routeFail, micro.Handler(func(r *http.Request) (any, error) {
		return nil, errors.New("the database is down")
	}))
	mux.Handle(routePanic, micro.Handler(func(r *http.Request) (any, error) {
		panic("boom")
	}))
	mux.Handle(routeWait, micro.Handler(func(r *http.Request) (any, error) {
		entered <- struct{}{}
		<-r.Context().Done() // the client goes away
		return nil, r.Context().Err()
	}))
	mux.Handle(routeStream, micro.Handler(func(r *http.Request) (any, error) {
		return micro.Stream(count(streamItems)), nil
	}))
	return mux
}

// count yields 1 to n.
func count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 1; i <= n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

func TestScriptedMixCountsEveryRequestOnceWithItsRouteAndStatus(t *testing.T) {
	m, reg := newMetrics(t)
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(chain(m, mixMux(entered)))
	defer srv.Close()
	// The body sizes below are the bytes on the wire: no gzip.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	do := func(method, path, body string, header ...string) testkit.Response {
		t.Helper()
		var r *http.Request
		var err error
		if body == "" {
			r, err = http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
		} else {
			r, err = http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return testkit.Do(t, client, r)
	}

	want := []struct {
		method, path, body string
		header             []string
		status             int
	}{
		{"GET", "/api/comments/1", "", nil, 200},
		{"GET", "/api/comments/2", "", nil, 200},
		{"GET", "/api/comments/3", "", nil, 200},
		{"HEAD", "/api/comments/4", "", nil, 200},
		{"GET", "/no/such/route", "", nil, 404},
		{"PUT", "/api/comments/1", "", nil, 405},
		{"GET", "/fail", "", nil, 500},
		{"GET", "/panic", "", nil, 500},
		{"POST", "/api/comments", `{"text":"hello, world"}`, []string{"Content-Type", "application/json"}, 201},
		{"GET", "/stream", "", []string{"Accept", "application/x-ndjson"}, 200},
	}
	got := map[string]testkit.Response{}
	for _, req := range want {
		res := do(req.method, req.path, req.body, req.header...)
		if res.Status != req.status {
			t.Fatalf("%s %s: status %d, want %d", req.method, req.path, res.Status, req.status)
		}
		got[req.method+" "+req.path] = res
	}
	if n := strings.Count(got["GET /stream"].Body, "\n"); n != streamItems {
		t.Fatalf("the stream sent %d lines, want %d: %q", n, streamItems, got["GET /stream"].Body)
	}

	// A client that goes away while its route waits: 499.
	ctx, cancel := context.WithCancel(t.Context())
	r, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/wait", nil)
	if err != nil {
		t.Fatal(err)
	}
	gone := make(chan error, 1)
	go func() {
		res, err := client.Do(r)
		if err == nil {
			res.Body.Close()
		}
		gone <- err
	}()
	testkit.WaitClosed(t, waitOne(entered), testkit.Patience, "the route waiting")
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v, want context.Canceled", err)
	}
	srv.Close() // every handler, and so every hook, has returned

	wantRequests := map[series]float64{
		{"GET", routeComment, "200"}:   3,
		{"HEAD", routeComment, "200"}:  1,
		{"GET", "unmatched", "404"}:    1,
		{"PUT", "unmatched", "405"}:    1,
		{"GET", routeFail, "500"}:      1,
		{"GET", routePanic, "500"}:     1,
		{"POST", routeComments, "201"}: 1,
		{"GET", routeStream, "200"}:    1,
		{"GET", routeWait, "499"}:      1,
	}
	if diff := cmp.Diff(wantRequests, values(t, reg, "http_server_requests_total")); diff != "" {
		t.Errorf("http_server_requests_total (-want +got):\n%s", diff)
	}

	durations := hists(t, reg, "http_server_request_duration_seconds")
	counts := map[series]float64{}
	for s, h := range durations {
		counts[s] = float64(h.Count)
		if h.Sum <= 0 {
			t.Errorf("duration of %v: sum %v, want > 0", s, h.Sum)
		}
	}
	if diff := cmp.Diff(wantRequests, counts); diff != "" {
		t.Errorf("http_server_request_duration_seconds counts (-want +got):\n%s", diff)
	}

	// Response sizes: what each client read off the wire, 0 for HEAD; for
	// the client that went away, the 499 problem nobody read.
	wantOut := map[series]hist{
		{"GET", routeComment, "200"}:   {3, float64(len(got["GET /api/comments/1"].Body) * 3)},
		{"HEAD", routeComment, "200"}:  {1, 0},
		{"GET", "unmatched", "404"}:    {1, float64(len(got["GET /no/such/route"].Body))},
		{"PUT", "unmatched", "405"}:    {1, float64(len(got["PUT /api/comments/1"].Body))},
		{"GET", routeFail, "500"}:      {1, float64(len(got["GET /fail"].Body))},
		{"GET", routePanic, "500"}:     {1, float64(len(got["GET /panic"].Body))},
		{"POST", routeComments, "201"}: {1, float64(len(got["POST /api/comments"].Body))},
		{"GET", routeStream, "200"}:    {1, float64(len(got["GET /stream"].Body))},
		{"GET", routeWait, "499"}:      {1, float64(len(clientGoneBody()))},
	}
	if diff := cmp.Diff(wantOut, hists(t, reg, "http_server_response_body_size_bytes")); diff != "" {
		t.Errorf("http_server_response_body_size_bytes (-want +got):\n%s", diff)
	}

	// Request sizes: the one body a route read.
	in := hists(t, reg, "http_server_request_body_size_bytes")
	if h := in[series{"POST", routeComments, "201"}]; h != (hist{1, float64(len(`{"text":"hello, world"}`))}) {
		t.Errorf("request body size of the POST: %+v, want count 1, sum %d", h, len(`{"text":"hello, world"}`))
	}
	for s, h := range in {
		if s.Method != "POST" && h.Sum != 0 {
			t.Errorf("request body size of %v: sum %v, want 0 (no body)", s, h.Sum)
		}
	}

	wantItems := map[series]float64{{"GET", routeStream, ""}: streamItems}
	if diff := cmp.Diff(wantItems, values(t, reg, "http_server_stream_items_total")); diff != "" {
		t.Errorf("http_server_stream_items_total (-want +got):\n%s", diff)
	}

	wantActive := map[series]float64{{"GET", "", ""}: 0, {"HEAD", "", ""}: 0, {"PUT", "", ""}: 0, {"POST", "", ""}: 0}
	if diff := cmp.Diff(wantActive, values(t, reg, "http_server_active_requests")); diff != "" {
		t.Errorf("http_server_active_requests (-want +got):\n%s", diff)
	}
}

// clientGoneBody returns the problem body send.Error writes for a client
// that went away: the server writes it, though nobody reads it.
func clientGoneBody() string {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	send.Error(w, httptest.NewRequestWithContext(ctx, "GET", "/wait", nil), ctx.Err())
	return w.Body.String()
}

// inFlightUncounted checks that one request of method is in flight in
// reg, and that no request has been counted yet.
func inFlightUncounted(t *testing.T, reg prometheus.Gatherer, method string) {
	t.Helper()
	if diff := cmp.Diff(map[series]float64{{method, "", ""}: 1}, values(t, reg, "http_server_active_requests")); diff != "" {
		t.Errorf("http_server_active_requests (-want +got):\n%s", diff)
	}
	if n := len(values(t, reg, "http_server_requests_total")); n != 0 {
		t.Errorf("%d series of http_server_requests_total, want none before the request ends", n)
	}
}

// waitOne returns a channel closed once ch has received a value.
func waitOne(ch <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		<-ch
		close(done)
	}()
	return done
}

func TestAStreamIsRecordedOnceAtItsEndWithItsItems(t *testing.T) {
	m, reg := newMetrics(t)
	first, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle(routeStream, micro.Handler(func(r *http.Request) (any, error) {
		return micro.Stream(func(yield func(int) bool) {
			if !yield(1) {
				return
			}
			close(first)
			<-release
			for i := 2; i <= streamItems; i++ {
				if !yield(i) {
					return
				}
			}
		}), nil
	}))
	srv := httptest.NewServer(chain(m, mux))
	defer srv.Close()
	r, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Accept", "text/event-stream")
	res, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	testkit.WaitClosed(t, first, testkit.Patience, "the first event")
	// Streaming, its header and first event sent: in flight, not yet counted.
	inFlightUncounted(t, reg, "GET")
	close(release)
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if n := strings.Count(string(body), "data: "); n != streamItems {
		t.Fatalf("%d events received, want %d:\n%s", n, streamItems, body)
	}
	if diff := cmp.Diff(map[series]float64{{"GET", routeStream, "200"}: 1}, values(t, reg, "http_server_requests_total")); diff != "" {
		t.Errorf("http_server_requests_total (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[series]float64{{"GET", routeStream, ""}: streamItems}, values(t, reg, "http_server_stream_items_total")); diff != "" {
		t.Errorf("http_server_stream_items_total (-want +got):\n%s", diff)
	}
	out := hists(t, reg, "http_server_response_body_size_bytes")[series{"GET", routeStream, "200"}]
	if out != (hist{1, float64(len(body))}) {
		t.Errorf("response size %+v, want count 1, sum %d (the whole stream)", out, len(body))
	}
}
