package micro_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// redirected is what a client that does not follow redirects received.
type redirected struct {
	Status        int
	Location      []string
	ContentLength []string
	Body          string
}

// fetchRedirect serves h on a loopback server and sends it one request
// with method, without following a redirect.
func fetchRedirect(t *testing.T, h http.Handler, method string) (redirected, http.Header) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := *srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	res := testkit.Do(t, &client, r)
	return redirected{res.Status, res.Header.Values("Location"), res.Header.Values("Content-Length"), res.Body}, res.Header
}

// redirectRoute is a route that returns Redirect(url, status).
func redirectRoute(url string, status int) micro.Handler {
	return func(*http.Request) (any, error) { return micro.Redirect(url, status), nil }
}

func TestRedirectStatusAndLocation(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		status int
		method string
		want   redirected
	}{
		{"status 0 is 307", "/login", 0, "GET", redirected{307, []string{"/login"}, []string{"0"}, ""}},
		{"301 is kept", "/login", 301, "GET", redirected{301, []string{"/login"}, []string{"0"}, ""}},
		{"302 is kept", "/login", 302, "GET", redirected{302, []string{"/login"}, []string{"0"}, ""}},
		{"303 is kept", "/login", 303, "GET", redirected{303, []string{"/login"}, []string{"0"}, ""}},
		{"307 is kept", "/login", 307, "GET", redirected{307, []string{"/login"}, []string{"0"}, ""}},
		{"308 is kept", "/login", 308, "GET", redirected{308, []string{"/login"}, []string{"0"}, ""}},
		{"HEAD gets the same status and Location", "/login", 0, "HEAD", redirected{307, []string{"/login"}, nil, ""}},
		{"a relative URL is not resolved", "../posts?page=2#top", 303, "GET", redirected{303, []string{"../posts?page=2#top"}, []string{"0"}, ""}},
		{"an absolute URL is sent as it is", "https://example.com/a%2Fb?q=1", 0, "GET",
			redirected{307, []string{"https://example.com/a%2Fb?q=1"}, []string{"0"}, ""}},
		{"a URL is not cleaned", "//example.com/./x/../y", 0, "GET", redirected{307, []string{"//example.com/./x/../y"}, []string{"0"}, ""}},
		{"a redirect after a POST keeps 307", "/done", 0, "POST", redirected{307, []string{"/done"}, []string{"0"}, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := fetchRedirect(t, redirectRoute(tt.url, tt.status), tt.method)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedirectSendsNoContentType(t *testing.T) {
	_, header := fetchRedirect(t, redirectRoute("/login", 0), "GET")
	if ct, ok := header["Content-Type"]; ok {
		t.Errorf("Content-Type %q on a redirect without a body", ct)
	}
}

func TestRedirectCRLFDoesNotSplitTheResponse(t *testing.T) {
	got, header := fetchRedirect(t, redirectRoute("/a\r\nSet-Cookie: evil=1", 0), "GET")
	if got.Status != 307 {
		t.Errorf("status %d, want 307", got.Status)
	}
	if c := header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("the URL set the header Set-Cookie %q", c)
	}
	if len(got.Location) != 1 || strings.ContainsAny(got.Location[0], "\r\n") {
		t.Errorf("Location %q, want one value without CR or LF", got.Location)
	}
}

func TestRedirectOtherStatusPanics(t *testing.T) {
	for _, status := range []int{-1, 200, 300, 304, 305, 306, 309, 404} {
		p := testkit.Recover(func() { micro.Redirect("/", status) })
		want := fmt.Sprintf("micro: Redirect status %d is not 0, 301, 302, 303, 307 or 308", status)
		if p != want {
			t.Errorf("Redirect(\"/\", %d) panicked with %v; want %q", status, p, want)
		}
	}
}

func TestRedirectBadStatusInHandlerIsLogged500(t *testing.T) {
	for _, status := range []int{200, 404} {
		var log testkit.Log
		w := httptest.NewRecorder()
		middleware.ErrorLogger(log.JSONLogger(slog.LevelError))(redirectRoute("/login", status)).
			ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if w.Code != 500 || w.Header().Get("Location") != "" {
			t.Errorf("status %d: got %d with Location %q; want a 500 problem without Location",
				status, w.Code, w.Header().Get("Location"))
		}
		lines := log.Lines(t)
		want := fmt.Sprintf("panic: micro: Redirect status %d is not 0, 301, 302, 303, 307 or 308", status)
		if len(lines) != 1 || lines[0]["error"] != want {
			t.Errorf("status %d: log lines %v; want one with error %q", status, lines, want)
		}
	}
}
