package micro_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// routesMux is a ServeMux with a method-specific pattern with a path
// value, a subtree, and a host-specific pattern. Each route answers its
// pattern and path value, so that a test sees ServeMux routed the request.
func routesMux() *http.ServeMux {
	mux := http.NewServeMux()
	route := micro.Handler(func(r *http.Request) (any, error) {
		return r.Pattern + " id=" + r.PathValue("id"), nil
	})
	mux.Handle("GET /items/{id}", route)
	mux.Handle("POST /orders/{id}", route)
	mux.Handle("GET /orders/{id}", route)
	mux.Handle("POST /forms", route)
	mux.Handle("/dir/", route)
	mux.Handle("api.example.com/hosted", route)
	return mux
}

// served is what a handler wrote, in the parts the tests compare.
type served struct {
	Status      int
	ContentType string
	Allow       string
	Location    string
	Body        string
}

// serve sends a request with method, target and host (example.com when
// "") to h.
func serve(h http.Handler, method, target, host string) served {
	r := httptest.NewRequest(method, target, nil)
	if host != "" {
		r.Host = host
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return served{
		Status:      w.Code,
		ContentType: w.Header().Get("Content-Type"),
		Allow:       w.Header().Get("Allow"),
		Location:    w.Header().Get("Location"),
		Body:        w.Body.String(),
	}
}

func TestRoutesAnswersUnmatchedRequestsWithProblems(t *testing.T) {
	long := "/" + strings.Repeat("a", 300)
	tests := []struct {
		name                 string
		method, target, host string
		want                 served
	}{
		{"an unknown path is a 404 problem", "GET", "/nothing", "",
			served{Status: 404, ContentType: "application/problem+json",
				Body: `{"type":"about:blank","title":"Not Found","status":404,"detail":"No route for /nothing"}`}},
		{"the path in the detail is cut to 200 characters", "GET", long, "",
			served{Status: 404, ContentType: "application/problem+json",
				Body: `{"type":"about:blank","title":"Not Found","status":404,"detail":"No route for ` + long[:200] + `"}`}},
		{"HEAD of an unknown path is a 404 without a body", "HEAD", "/nothing", "",
			served{Status: 404, ContentType: "application/problem+json"}},
		{"a method no pattern of the path has is a 405 problem with ServeMux's Allow", "DELETE", "/items/7", "",
			served{Status: 405, ContentType: "application/problem+json", Allow: "GET, HEAD",
				Body: `{"type":"about:blank","title":"Method Not Allowed","status":405,"detail":"Method DELETE is not allowed; allowed: GET, HEAD"}`}},
		{"Allow lists every pattern's method", "PUT", "/orders/7", "",
			served{Status: 405, ContentType: "application/problem+json", Allow: "GET, HEAD, POST",
				Body: `{"type":"about:blank","title":"Method Not Allowed","status":405,"detail":"Method PUT is not allowed; allowed: GET, HEAD, POST"}`}},
		{"HEAD of a path with a POST pattern only is a 405 without a body", "HEAD", "/forms", "",
			served{Status: 405, ContentType: "application/problem+json", Allow: "POST"}},
		{"a host-specific pattern does not match another host", "GET", "/hosted", "other.example.com",
			served{Status: 404, ContentType: "application/problem+json",
				Body: `{"type":"about:blank","title":"Not Found","status":404,"detail":"No route for /hosted"}`}},
	}
	h := micro.Routes(routesMux())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := gocmp.Diff(tt.want, serve(h, tt.method, tt.target, tt.host)); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoutesLeavesWhatServeMuxRoutesToIt(t *testing.T) {
	tests := []struct {
		name                 string
		method, target, host string
		want                 served // what ServeMux alone answers too
	}{
		{"a matched route is served with its pattern and path values", "GET", "/items/7", "",
			served{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "GET /items/{id} id=7"}},
		{"HEAD of a GET route is the route's", "HEAD", "/items/7", "",
			served{Status: 200, ContentType: "text/plain; charset=utf-8"}},
		{"a host-specific pattern matches its host", "GET", "/hosted", "api.example.com",
			served{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "api.example.com/hosted id="}},
		{"OPTIONS * is ServeMux's 400", "OPTIONS", "*", "",
			served{Status: 400}},
	}
	h := micro.Routes(routesMux())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := serve(h, tt.method, tt.target, tt.host)
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(serve(routesMux(), tt.method, tt.target, tt.host), got); diff != "" {
				t.Errorf("differs from ServeMux alone (-mux +Routes):\n%s", diff)
			}
		})
	}
}

// ServeMux's redirect status is 301 or 307 depending on the Go release;
// the test asks for a redirect to the right place, and for exactly what
// ServeMux alone answers. A path to clean that matches no pattern once
// cleaned is redirected too, though http.ServeMux.Handler reports no
// pattern for it.
func TestRoutesLeavesServeMuxRedirects(t *testing.T) {
	tests := []struct {
		name, target, location string
	}{
		{"a subtree without its trailing slash", "/dir", "/dir/"},
		{"a path with ..", "/x/../dir/a", "/dir/a"},
		{"a path with .. that cleans to no route", "/x/../nothing", "/nothing"},
		{"a path with //", "/dir//a", "/dir/a"},
	}
	h := micro.Routes(routesMux())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := serve(h, "GET", tt.target, "")
			if got.Status != http.StatusMovedPermanently && got.Status != http.StatusTemporaryRedirect {
				t.Errorf("status %d, want a redirect", got.Status)
			}
			if got.Location != tt.location {
				t.Errorf("Location = %q, want %q", got.Location, tt.location)
			}
			if diff := gocmp.Diff(serve(routesMux(), "GET", tt.target, ""), got); diff != "" {
				t.Errorf("differs from ServeMux alone (-mux +Routes):\n%s", diff)
			}
		})
	}
}

func TestRoutesLogsAnUnmatchedRequestAsUnmatched(t *testing.T) {
	var log testkit.Log
	h := middleware.Logger(log.JSONLogger(slog.LevelInfo))(micro.Routes(routesMux()))
	for _, target := range []string{"/nothing", "/items/7"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("DELETE", "/items/7", nil))
	var got []string
	for _, line := range log.Lines(t) {
		got = append(got, line["route"].(string))
	}
	want := []string{middleware.RouteUnmatched, "GET /items/{id}", middleware.RouteUnmatched}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("logged routes (-want +got):\n%s", diff)
	}
}

func TestRoutesOfANilMuxPanics(t *testing.T) {
	got := testkit.Recover(func() { micro.Routes(nil) })
	if want := "micro: Routes needs a non-nil *http.ServeMux"; got != want {
		t.Errorf("panic = %v, want %q", got, want)
	}
}
