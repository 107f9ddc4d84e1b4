package interop_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro/otelmicro"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// spanOf is what a server span says about the route that served a
// request.
type spanOf struct {
	name   string
	route  string // http.route; "" when absent
	status int64  // http.response.status_code
}

// TestOtelSpansNameTheRouterRoute serves, through otelmicro.Middleware
// outermost, a request to the parameterised route and one to an unknown
// path on every router variant, and checks the one span each makes: named
// "GET" and the route's template in the router's own syntax (gin's and
// echo's :id, which normalRoute turns into ServeMux's {id}), with that
// template as http.route; for the unknown path, named "GET" alone with no
// http.route, since no route served it. The std ServeMux serves unknown
// paths through its catch-all pattern "/", a route like any other
// (catchAll): its span is "GET /", with http.route "/", as its log line
// names "/" where the other routers, which take the 404 route through a
// not-found hook, log "unmatched". The requests are served in process,
// where the HTTP/2 variant is the ServeMux again, so it runs once, as
// "std".
func TestOtelSpansNameTheRouterRoute(t *testing.T) {
	for _, v := range variants() {
		if v.http2 {
			v.name = "std" // in process, the ServeMux over HTTP/1.1
		}
		t.Run(v.name, func(t *testing.T) {
			template := "/items/{id}"
			if v.syntax != nil {
				template = v.syntax(template)
			}
			if normalRoute(template) != "/items/{id}" {
				t.Fatalf("template %q does not normalise to /items/{id}", template)
			}
			unknown := spanOf{name: "GET", status: http.StatusNotFound}
			if !v.notFoundHook {
				unknown = spanOf{name: "GET " + catchAll, route: catchAll, status: http.StatusNotFound}
			}
			cases := []struct {
				name string
				path string
				want spanOf
			}{
				{"parameterised route is named by its template", "/items/42",
					spanOf{name: "GET " + template, route: template, status: http.StatusOK}},
				{"unknown path has no route", "/nope/42", unknown},
			}

			sr := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
			t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
			h := otelmicro.Middleware(otelmicro.Config{TracerProvider: tp})(v.build(newTestAPI(), io.Discard))
			for _, c := range cases {
				before := len(sr.Ended())
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
				if rec.Code != int(c.want.status) {
					t.Errorf("%s: GET %s answered %d, want %d", c.name, c.path, rec.Code, c.want.status)
				}
				ended := sr.Ended()[before:]
				if len(ended) != 1 {
					t.Errorf("%s: GET %s ended %d spans, want 1", c.name, c.path, len(ended))
					continue
				}
				if got := spanFacts(ended[0]); got != c.want {
					t.Errorf("%s: GET %s span %+v, want %+v", c.name, c.path, got, c.want)
				}
			}
		})
	}
}

// spanFacts reads a span's name, http.route and status code.
func spanFacts(s sdktrace.ReadOnlySpan) spanOf {
	got := spanOf{name: s.Name()}
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case semconv.HTTPRouteKey:
			got.route = kv.Value.AsString()
			if got.route == "" {
				got.route = "present but empty"
			}
		case semconv.HTTPResponseStatusCodeKey:
			got.status = kv.Value.AsInt64()
		}
	}
	return got
}
