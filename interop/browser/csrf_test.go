package browser_test

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

// seen is what the server in front of the chain saw of a request to its
// API (Cookie: whether it carried the session cookie), and the status the
// chain answered.
type seen struct {
	Method, ContentType string
	Cookie              bool
	Status              int
}

// TestRecommendedChainRefusesCrossSiteBodiesWithoutType runs the README's
// recommended chain, middleware.Default with CORS for one page, in front
// of a route that reads micro.JSON, which takes a body without a
// Content-Type as JSON. A page on another site can send such a body with
// the visitor's cookie and no preflight (navigator.sendBeacon of a Blob, a
// no-cors fetch of a Blob): the chain refuses both with a 403 and stores
// nothing, while the allowed page's credentialed JSON POST gets its 201.
func TestRecommendedChainRefusesCrossSiteBodiesWithoutType(t *testing.T) {
	requireBrowser(t)
	allowed, refused := callerPage(t), callerPage(t)

	session := rand.Text() // the browser is shared: this test's own cookie
	var mu sync.Mutex
	var stored []string
	var requests []seen
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: session, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode})
	})
	mux.Handle("POST /api/comments", micro.Handler(func(r *http.Request) (any, error) {
		c, err := micro.JSON[comment](r)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		stored = append(stored, c.Comment)
		mu.Unlock()
		return &micro.Response{Status: http.StatusCreated, Body: c}, nil
	}))
	chain := middleware.Default(middleware.DefaultConfig{
		Logger: slog.New(slog.DiscardHandler),
		CORS: &middleware.CORSConfig{
			AllowedOrigins:   []string{allowed.URL},
			AllowedHeaders:   []string{"Content-Type"},
			AllowCredentials: true,
		},
		BodyLimit: 64 << 10,
	}).Append(middleware.Timeout(10 * time.Second))
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		chain.Then(mux).ServeHTTP(rec, r)
		if r.Method != http.MethodOptions {
			mu.Lock()
			c, err := r.Cookie("session")
			requests = append(requests, seen{r.Method, r.Header.Get("Content-Type"), err == nil && c.Value == session, rec.status})
			mu.Unlock()
		}
	}))
	t.Cleanup(api.Close)
	// localhost is another site than the pages' 127.0.0.1.
	apiURL := "http://localhost:" + api.URL[strings.LastIndexByte(api.URL, ':')+1:]
	tab := newTab(t)

	if err := chromedp.Do(tab, chromedp.Navigate(allowed.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if got := call[any](t, tab, apiURL+"/api/login", map[string]any{"credentials": "include"}); got.Status != http.StatusOK {
		t.Fatalf("GET /api/login from the allowed page = %+v, want 200", got)
	}
	posted := call[comment](t, tab, apiURL+"/api/comments", map[string]any{
		"method":      "POST",
		"credentials": "include",
		"headers":     map[string]string{"Content-Type": "application/json"},
		"body":        jsLiteral(t, comment{"from the allowed page"}),
	})
	if posted.Error != "" || posted.Status != http.StatusCreated {
		t.Fatalf("credentialed JSON POST from the allowed page = %+v, want 201", posted)
	}

	if err := chromedp.Do(tab, chromedp.Navigate(refused.URL+"/")); err != nil {
		t.Fatal(err)
	}
	url := jsLiteral(t, apiURL+"/api/comments")
	beacon := jsLiteral(t, jsLiteral(t, comment{"sendBeacon from another site"}))
	if queued, err := chromedp.Run(tab, chromedp.Evaluate[bool]("beacon("+url+", "+beacon+")")); err != nil || !queued {
		t.Fatalf("sendBeacon from the other site: queued %v, %v", queued, err)
	}
	blob := jsLiteral(t, jsLiteral(t, comment{"no-cors Blob from another site"}))
	if _, err := chromedp.Run(tab, chromedp.Evaluate[answer[any]]("blobPost("+url+", "+blob+")", chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, tab, "both POSTs from the other site", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(requests) == 4
	})

	mu.Lock()
	defer mu.Unlock()
	want := []seen{
		{"GET", "", false, http.StatusOK},
		{"POST", "application/json", true, http.StatusCreated},
		{"POST", "", true, http.StatusForbidden}, // the beacon: cookie, no type
		{"POST", "", true, http.StatusForbidden}, // the no-cors Blob: cookie, no type
	}
	// The beacon and the fetch may reach the server in either order; both
	// are the same to the server.
	if diff := cmp.Diff(want, requests); diff != "" {
		t.Errorf("requests the API saw (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"from the allowed page"}, stored); diff != "" {
		t.Errorf("comments stored (-want +got):\n%s", diff)
	}
}

// statusRecorder records the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
