package prommicro_test

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/prommicro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestLabelValuesStayAsFewAsTheRoutesAndMethods(t *testing.T) {
	m, reg := newMetrics(t)
	mux := http.NewServeMux()
	mux.Handle(routeComment, micro.Handler(func(r *http.Request) (any, error) { return "ok", nil }))
	mux.Handle("GET /api/users/{id}/comments/{n}", micro.Handler(func(r *http.Request) (any, error) { return "ok", nil }))
	h := chain(m, mux)
	rng := rand.New(rand.NewPCG(1, 2))
	const paths, methods = 10_000, 100
	segment := func() string {
		const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.~"
		b := make([]byte, 1+rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for i := range paths {
		var path string
		switch i % 4 {
		case 0: // matches a route, with a fresh value
			path = "/api/comments/" + segment()
		case 1:
			path = "/api/users/" + segment() + "/comments/" + segment()
		default: // matches none
			parts := make([]string, 1+rng.IntN(4))
			for j := range parts {
				parts[j] = segment()
			}
			path = "/" + strings.Join(parts, "/")
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	for range methods {
		method := "X" + strings.ToUpper(strings.Map(keepLetters, segment()))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "/api/comments/1", nil))
	}
	routes, verbs, total := map[string]bool{}, map[string]float64{}, 0.0
	for s, v := range values(t, reg, "http_server_requests_total") {
		routes[s.Route] = true
		verbs[s.Method] += v
		total += v
	}
	wantRoutes := map[string]bool{routeComment: true, "GET /api/users/{id}/comments/{n}": true, "unmatched": true}
	if diff := cmp.Diff(wantRoutes, routes); diff != "" {
		t.Errorf("route label values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"GET": paths, "_OTHER": methods}, verbs); diff != "" {
		t.Errorf("requests by method label (-want +got):\n%s", diff)
	}
	if total != paths+methods {
		t.Errorf("%v requests counted, want %d", total, paths+methods)
	}
	if n := len(values(t, reg, "http_server_active_requests")); n != 2 {
		t.Errorf("%d series of http_server_active_requests, want 2 (GET, _OTHER)", n)
	}
}

// keepLetters keeps the ASCII letters of a string, as a strings.Map
// function.
func keepLetters(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
		return r
	}
	return -1
}

func TestActiveRequestsIsOneWhileARequestIsHeldAndZeroAfter(t *testing.T) {
	m, reg := newMetrics(t)
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hold", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	h := chain(m, mux)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/hold", nil))
	}()
	testkit.WaitClosed(t, entered, testkit.Patience, "the handler starting")
	inFlightUncounted(t, reg, "POST")
	close(release)
	testkit.WaitClosed(t, done, testkit.Patience, "the request finishing")
	if diff := cmp.Diff(map[series]float64{{"POST", "", ""}: 0}, values(t, reg, "http_server_active_requests")); diff != "" {
		t.Errorf("after (-want +got):\n%s", diff)
	}
}

func TestActiveRequestsIsGivenBackWhenAPanicPassesThrough(t *testing.T) {
	m, reg := newMetrics(t)
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	if p := testkit.Recover(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) }); p != "boom" {
		t.Fatalf("recovered %v, want the panic going on", p)
	}
	if diff := cmp.Diff(map[series]float64{{"GET", "", ""}: 0}, values(t, reg, "http_server_active_requests")); diff != "" {
		t.Errorf("http_server_active_requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[series]float64{{"GET", "unmatched", "500"}: 1}, values(t, reg, "http_server_requests_total")); diff != "" {
		t.Errorf("http_server_requests_total (-want +got):\n%s", diff)
	}
}

func TestConcurrentRequestsAreEachCountedOnce(t *testing.T) {
	m, reg := newMetrics(t)
	mux := mixMux(nil)
	srv := httptest.NewServer(chain(m, mux))
	defer srv.Close()
	const clients, each = 8, 50
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			client := srv.Client()
			for i := range each {
				path := "/api/comments/1"
				if (c+i)%2 == 1 {
					path = "/nope"
				}
				r, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
				if err != nil {
					t.Error(err)
					return
				}
				res, err := client.Do(r)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	srv.Close()
	want := map[series]float64{
		{"GET", routeComment, "200"}: clients * each / 2,
		{"GET", "unmatched", "404"}:  clients * each / 2,
	}
	if diff := cmp.Diff(want, values(t, reg, "http_server_requests_total")); diff != "" {
		t.Errorf("http_server_requests_total (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[series]float64{{"GET", "", ""}: 0}, values(t, reg, "http_server_active_requests")); diff != "" {
		t.Errorf("http_server_active_requests (-want +got):\n%s", diff)
	}
}

func TestMiddlewareAllocatesNothingBeyondObserve(t *testing.T) {
	m, _ := newMetrics(t)
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	count := func(h http.Handler) float64 {
		r := httptest.NewRequest("GET", "/", nil)
		w := &testkit.Discard{}
		h.ServeHTTP(w, r) // the first request of a series makes it
		return testing.AllocsPerRun(100, func() {
			w.Reset()
			h.ServeHTTP(w, r)
		})
	}
	observe := count(middleware.Observe(func(*http.Request, middleware.Observation) {})(route))
	if got := count(m.Middleware(route)); got != observe {
		t.Errorf("%v allocations per request, %v through Observe alone", got, observe)
	}
}

// BenchmarkMiddleware serves one JSON route of a ServeMux through
// Metrics.Middleware (impl=prommicro) and, in the same run, through
// promhttp's own instrumentation of the same four metrics chained
// (impl=promhttp): InstrumentHandlerInFlight, InstrumentHandlerCounter,
// InstrumentHandlerDuration and InstrumentHandlerResponseSize, with the
// "code" and "method" labels promhttp supports, so without the route
// label prommicro adds, and without its request size histogram;
// impl=nethttp is the route alone, impl=observe the route behind
// middleware.Observe with a hook that does nothing: the floor
// impl=prommicro starts from. mode=sequential is one goroutine;
// mode=parallel is b.RunParallel, GOMAXPROCS goroutines on the same series.
//
//	go -C prommicro test -run '^$' -bench BenchmarkMiddleware -benchmem -count 10 | benchstat -col /impl -
func BenchmarkMiddleware(b *testing.B) {
	mux := http.NewServeMux()
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(r *http.Request) (any, error) {
		return struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		}{r.PathValue("id"), "hello"}, nil
	}))
	impls := []struct {
		name string
		wrap func(b *testing.B, h http.Handler) http.Handler
	}{
		{"impl=nethttp", func(_ *testing.B, h http.Handler) http.Handler { return h }},
		{"impl=observe", func(_ *testing.B, h http.Handler) http.Handler {
			return middleware.Observe(func(*http.Request, middleware.Observation) {})(h)
		}},
		{"impl=prommicro", func(b *testing.B, h http.Handler) http.Handler {
			m, err := prommicro.New(prometheus.NewRegistry(), prommicro.Config{})
			if err != nil {
				b.Fatal(err)
			}
			return m.Middleware(h)
		}},
		{"impl=promhttp", func(_ *testing.B, h http.Handler) http.Handler {
			reg := prometheus.NewRegistry()
			byRequest := []string{"code", "method"}
			requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_server_requests_total", Help: "h"}, byRequest)
			duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_server_request_duration_seconds", Help: "h",
				Buckets: prommicro.DefaultBuckets()}, byRequest)
			size := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_server_response_body_size_bytes", Help: "h",
				Buckets: prommicro.DefaultSizeBuckets()}, byRequest)
			active := prometheus.NewGauge(prometheus.GaugeOpts{Name: "http_server_active_requests", Help: "h"})
			reg.MustRegister(requests, duration, size, active)
			return promhttp.InstrumentHandlerInFlight(active,
				promhttp.InstrumentHandlerCounter(requests,
					promhttp.InstrumentHandlerDuration(duration,
						promhttp.InstrumentHandlerResponseSize(size, h))))
		}},
	}
	for _, impl := range impls {
		h := impl.wrap(b, mux)
		b.Run("mode=sequential/"+impl.name, func(b *testing.B) {
			testkit.Bench(b, h, httptest.NewRequest("GET", "/api/comments/42", nil))
		})
		b.Run("mode=parallel/"+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/api/comments/42", nil)
				w := &testkit.Discard{}
				for pb.Next() {
					w.Reset()
					h.ServeHTTP(w, r)
				}
			})
		})
	}
}
