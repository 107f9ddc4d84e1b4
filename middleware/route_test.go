package middleware_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// routeLogged serves one request of method and target through Logger and
// h, and returns the route its line names.
func routeLogged(t *testing.T, h http.Handler, method, target string) string {
	t.Helper()
	var log testkit.Log
	middleware.Logger(log.JSONLogger(nil))(h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, target, nil))
	lines := log.Lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1: %s", len(lines), log.String())
	}
	route, _ := lines[0]["route"].(string)
	return route
}

// cloning is a middleware of someone else's that hands on a clone of the
// request, as a router or a tracer does.
func cloning(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(r.Context()))
	})
}

func TestLoggerNamesTheRoute(t *testing.T) {
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	routed := micro.Handler(func(*http.Request) (any, error) { return "ok", nil })
	mux := func(h http.Handler) *http.ServeMux {
		m := http.NewServeMux()
		m.Handle("GET /api/comments/{id}", h)
		m.Handle("/files/", h)
		return m
	}
	for _, c := range []struct {
		name           string
		h              http.Handler
		method, target string
		want           string
	}{
		{"a ServeMux's pattern, with a plain handler", mux(plain), "GET", "/api/comments/7", "GET /api/comments/{id}"},
		{"a prefix pattern", mux(plain), "GET", "/files/a/b", "/files/"},
		{"a 404 is unmatched", mux(plain), "GET", "/nowhere/7", "unmatched"},
		{"a 405 is unmatched", mux(plain), "DELETE", "/api/comments/7", "unmatched"},
		{"micro.Handler records it behind a clone", cloning(mux(routed)), "GET", "/api/comments/7", "GET /api/comments/{id}"},
		{"a plain handler behind a clone needs SetRoute", cloning(mux(plain)), "GET", "/api/comments/7", "unmatched"},
		{"Timeout's clone carries it back", middleware.Timeout(time.Minute)(mux(plain)), "GET", "/api/comments/7", "GET /api/comments/{id}"},
		{"a route of micro.Handler behind Timeout", middleware.Timeout(time.Minute)(mux(routed)), "GET", "/api/comments/7", "GET /api/comments/{id}"},
		{"no router", plain, "GET", "/x", "unmatched"},
		{"SetRoute, for another router", cloning(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			middleware.SetRoute(r, "/items/:id")
		})), "GET", "/items/9", "/items/:id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := routeLogged(t, c.h, c.method, c.target); got != c.want {
				t.Errorf("route %q, want %q", got, c.want)
			}
		})
	}
}

func TestRouteFrom(t *testing.T) {
	var seen []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a/{x}", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, middleware.RouteFrom(r))
	})
	h := middleware.RequestID()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, middleware.RouteFrom(r)) // before routing
		mux.ServeHTTP(w, r)
		seen = append(seen, middleware.RouteFrom(r)) // after
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/a/1", nil))
	if len(seen) != 3 || seen[0] != "unmatched" || seen[1] != "GET /a/{x}" || seen[2] != "GET /a/{x}" {
		t.Errorf("RouteFrom before, in and after the route: %q", seen)
	}
	// Without any of our middleware, SetRoute has nowhere to write.
	r := httptest.NewRequest("GET", "/", nil)
	middleware.SetRoute(r, "/x")
	if got := middleware.RouteFrom(r); got != "unmatched" {
		t.Errorf("RouteFrom after SetRoute without state: %q", got)
	}
}

func TestRouteValuesStayAsFewAsTheRoutes(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(*http.Request) (any, error) { return nil, nil }))
	var log testkit.Log
	h := middleware.Logger(log.JSONLogger(nil))(mux)
	for i := range 10_000 {
		target := "/api/comments/" + strconv.Itoa(i)
		if i%2 == 1 {
			target = "/random/" + strconv.Itoa(i) + "/x"
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	routes := map[any]int{}
	for _, l := range log.Lines(t) {
		routes[l["route"]]++
	}
	if len(routes) != 2 || routes["GET /api/comments/{id}"] != 5_000 || routes["unmatched"] != 5_000 {
		t.Errorf("route values over 10,000 paths: %v", routes)
	}
}

func TestLoggerNamesTheTraceOfAValidTraceparent(t *testing.T) {
	const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, c := range []struct {
		name          string
		values        []string
		trace, parent any
	}{
		{"valid", []string{valid}, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"a later version with more fields", []string{"cc" + valid[2:] + "-what-comes-next"}, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"none", nil, nil, nil},
		{"upper case", []string{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"}, nil, nil},
		{"all-zero trace", []string{"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, nil, nil},
		{"version ff", []string{"ff" + valid[2:]}, nil, nil},
		{"two headers", []string{valid, valid}, nil, nil},
		{"forged JSON", []string{`00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","level":"ERROR`}, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, h := range []struct {
				name string
				make func(*testkit.Log) *slog.Logger
			}{{"slog", func(l *testkit.Log) *slog.Logger { return l.JSONLogger(nil) }},
				{"JSONHandler", func(l *testkit.Log) *slog.Logger { return slog.New(middleware.NewJSONHandler(l, nil)) }}} {
				var log testkit.Log
				r := httptest.NewRequest("GET", "/", nil)
				r.Header["Traceparent"] = c.values
				middleware.Logger(h.make(&log))(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), r)
				lines := log.Lines(t)
				if len(lines) != 1 || lines[0]["trace_id"] != c.trace || lines[0]["span_id"] != c.parent || lines[0]["level"] != "WARN" {
					t.Errorf("%s: line %s; want trace_id %v, span_id %v", h.name, log.String(), c.trace, c.parent)
				}
			}
		})
	}
}
