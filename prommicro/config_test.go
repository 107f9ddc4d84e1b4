package prommicro_test

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/prommicro"
)

func TestNewRefusesAnInvalidConfigAndRegistersNothing(t *testing.T) {
	tests := []struct {
		name string
		cfg  prommicro.Config
		want string
	}{
		{"namespace with a dash", prommicro.Config{Namespace: "my-app"},
			`prommicro: Config.Namespace "my-app" is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`},
		{"namespace starting with a digit", prommicro.Config{Namespace: "1app"},
			`prommicro: Config.Namespace "1app" is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`},
		{"label name with a colon", prommicro.Config{ConstLabels: prometheus.Labels{"a:b": "x"}},
			`prommicro: Config.ConstLabels: "a:b" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`},
		{"empty label name", prommicro.Config{ConstLabels: prometheus.Labels{"": "x"}},
			`prommicro: Config.ConstLabels: "" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`},
		{"reserved label name", prommicro.Config{ConstLabels: prometheus.Labels{"__name__": "x"}},
			`prommicro: Config.ConstLabels: "__name__" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`},
		{"label the metrics vary by", prommicro.Config{ConstLabels: prometheus.Labels{"http_route": "x"}},
			`prommicro: Config.ConstLabels: "http_route" is a label the metrics vary by`},
		{"label value not UTF-8", prommicro.Config{ConstLabels: prometheus.Labels{"instance": "\xff"}},
			`prommicro: Config.ConstLabels: the value of "instance" is not valid UTF-8`},
		{"empty buckets", prommicro.Config{Buckets: []float64{}},
			"prommicro: Config.Buckets is empty; leave it nil for the default buckets"},
		{"buckets out of order", prommicro.Config{Buckets: []float64{0.1, 0.05}},
			"prommicro: Config.Buckets must strictly increase"},
		{"repeated bucket", prommicro.Config{SizeBuckets: []float64{10, 10}},
			"prommicro: Config.SizeBuckets must strictly increase"},
		{"NaN bucket", prommicro.Config{SizeBuckets: []float64{1, math.NaN()}},
			"prommicro: Config.SizeBuckets holds a NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Validate: %v, want %q", err, tc.want)
			}
			reg := prometheus.NewRegistry()
			m, err := prommicro.New(reg, tc.cfg)
			if m != nil || err == nil || err.Error() != tc.want {
				t.Errorf("New: %v, %v, want nil and %q", m, err, tc.want)
			}
			if families, _ := reg.Gather(); len(families) != 0 {
				t.Errorf("%d metric families registered", len(families))
			}
		})
	}
}

func TestNewAppliesNamespaceConstLabelsAndBuckets(t *testing.T) {
	cfg := prommicro.Config{
		Namespace:   "shop",
		ConstLabels: prometheus.Labels{"instance": "a", "zone": "é"},
		Buckets:     []float64{-1, 0, 0.5},
		SizeBuckets: []float64{1024},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := prommicro.New(reg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Middleware(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	buckets := map[string]int{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			consts := map[string]string{}
			for _, l := range m.GetLabel() {
				if l.GetName() == "instance" || l.GetName() == "zone" {
					consts[l.GetName()] = l.GetValue()
				}
			}
			if diff := cmp.Diff(map[string]string(cfg.ConstLabels), consts); diff != "" {
				t.Errorf("%s: constant labels (-want +got):\n%s", f.GetName(), diff)
			}
			if h := m.GetHistogram(); h != nil {
				buckets[f.GetName()] = len(h.GetBucket())
			}
		}
	}
	want := map[string]int{
		"shop_http_server_request_duration_seconds": 3,
		"shop_http_server_request_body_size_bytes":  1,
		"shop_http_server_response_body_size_bytes": 1,
	}
	if diff := cmp.Diff(want, buckets); diff != "" {
		t.Errorf("buckets by histogram (-want +got):\n%s", diff)
	}
	if len(families) != 5 {
		t.Errorf("%d families, want 5 (the stream items have no series yet)", len(families))
	}
}

func TestNewNeedsARegisterer(t *testing.T) {
	m, err := prommicro.New(nil, prommicro.Config{})
	if m != nil || err == nil || !strings.Contains(err.Error(), "prommicro: New needs a Registerer") {
		t.Errorf("New(nil): %v, %v", m, err)
	}
}

func TestNewTwiceOnOneRegistryIsAlreadyRegisteredUnlessTheSeriesDiffer(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := prommicro.New(reg, prommicro.Config{}); err != nil {
		t.Fatal(err)
	}
	_, err := prommicro.New(reg, prommicro.Config{})
	if are := (prometheus.AlreadyRegisteredError{}); !errors.As(err, &are) {
		t.Errorf("second New: %v, want a prometheus.AlreadyRegisteredError", err)
	}
	if _, err := prommicro.New(reg, prommicro.Config{Namespace: "admin"}); err != nil {
		t.Errorf("New with another namespace: %v", err)
	}
	// Constant labels tell sets apart when each has the same names.
	other := prometheus.NewRegistry()
	for _, server := range []string{"api", "admin"} {
		if _, err := prommicro.New(other, prommicro.Config{ConstLabels: prometheus.Labels{"server": server}}); err != nil {
			t.Errorf("New with server=%s: %v", server, err)
		}
	}
}

// refusing is a Registerer that refuses its registration number refuse
// (from 1) and keeps the collectors registered.
type refusing struct {
	refuse, calls int
	registered    map[prometheus.Collector]bool
}

func (r *refusing) Register(c prometheus.Collector) error {
	r.calls++
	if r.calls == r.refuse {
		return errors.New("refused")
	}
	r.registered[c] = true
	return nil
}

func (r *refusing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (r *refusing) Unregister(c prometheus.Collector) bool {
	ok := r.registered[c]
	delete(r.registered, c)
	return ok
}

func TestNewUnregistersWhatItRegisteredWhenARegistrationFails(t *testing.T) {
	for refuse := 1; refuse <= 6; refuse++ {
		reg := &refusing{refuse: refuse, registered: map[prometheus.Collector]bool{}}
		m, err := prommicro.New(reg, prommicro.Config{})
		if m != nil || err == nil || err.Error() != "refused" {
			t.Errorf("registration %d refused: New returned %v, %v", refuse, m, err)
		}
		if len(reg.registered) != 0 {
			t.Errorf("registration %d refused: %d collectors left registered", refuse, len(reg.registered))
		}
	}
	reg := &refusing{registered: map[prometheus.Collector]bool{}}
	if _, err := prommicro.New(reg, prommicro.Config{}); err != nil || len(reg.registered) != 6 {
		t.Errorf("New: %v, %d collectors registered, want 6", err, len(reg.registered))
	}
}

func TestHandlerServesTheRegistry(t *testing.T) {
	m, _ := newMetrics(t)
	m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	res := testkit.Fetch(t, m.Handler(), "GET")
	want := `http_server_requests_total{http_request_method="GET",http_response_status_code="200",http_route="unmatched"} 1`
	if res.Status != 200 || !strings.Contains(res.Body, want+"\n") {
		t.Errorf("status %d, body:\n%s\nwant a line %s", res.Status, res.Body, want)
	}
}

func TestHandlerPanicsWithoutAGatherer(t *testing.T) {
	m, err := prommicro.New(prometheus.WrapRegistererWith(prometheus.Labels{"a": "b"}, prometheus.NewRegistry()), prommicro.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p := testkit.Recover(func() { m.Handler() })
	want := "prommicro: Handler: the Registerer given to New is not a prometheus.Gatherer; serve promhttp.HandlerFor its Gatherer"
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("panic (-want +got):\n%s", diff)
	}
}
