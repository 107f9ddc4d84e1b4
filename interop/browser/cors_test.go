package browser_test

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// answer is what testdata/caller.html's call(url, init) resolves with:
// what a page script can see of a response, or the error its fetch
// rejected with.
type answer[B any] struct {
	Status    int    `json:"status"`
	Body      B      `json:"body"`
	RequestID string `json:"requestId"` // the X-Request-Id response header, if exposed
	Error     string `json:"error"`     // the rejection's name: "TypeError" for a CORS refusal
	Message   string `json:"message"`
}

// visitorBody is the body of GET /api/visitor.
type visitorBody struct {
	Visitor string `json:"visitor"`
	New     bool   `json:"new"`
}

// TestCrossOriginWithCredentials calls the comments API from pages on other
// origins, as a browser enforces CORS: the page of an allowed origin gets
// through our CORS middleware with credentials and a custom header (the
// preflight passes, the response and its exposed header are readable, the
// signed visitor cookie comes back, a JSON POST passes the CSRF
// protection); the same calls from a disallowed origin reject, and its
// POSTs store nothing: neither a text/plain one nor those a page can send
// without any Content-Type (a sendBeacon, a no-cors fetch of a Blob), which
// the chain's CrossOrigin refuses with a 403 before the route reads them.
func TestCrossOriginWithCredentials(t *testing.T) {
	requireBrowser(t)
	allowed, refused := callerPage(t), callerPage(t)
	api := startProgram(t, example(t, "comments"), "-addr", "127.0.0.1:0",
		"-cors-origins", allowed.URL, "-cookie-key", rand.Text()+rand.Text())
	_, port, err := net.SplitHostPort(api.addr)
	if err != nil {
		t.Fatal(err)
	}
	// The same server by another name: localhost is another origin and
	// another site than 127.0.0.1, so its cookie is a third-party one.
	apiURL := "http://localhost:" + port
	tab := newTab(t)

	// The custom header makes every call preflighted.
	getVisitor := map[string]any{
		"credentials": "include",
		"headers":     map[string]string{"X-Requested-With": "fetch"},
	}
	postJSON := func(text string) map[string]any {
		return map[string]any{
			"method":      "POST",
			"credentials": "include",
			"headers":     map[string]string{"Content-Type": "application/json", "X-Requested-With": "fetch"},
			"body":        jsLiteral(t, comment{text}),
		}
	}

	if err := chromedp.Do(tab, chromedp.Navigate(allowed.URL+"/")); err != nil {
		t.Fatal(err)
	}
	first := call[visitorBody](t, tab, apiURL+"/api/visitor", getVisitor)
	if first.Error != "" || first.Status != http.StatusOK || !first.Body.New || first.Body.Visitor == "" || first.RequestID == "" {
		t.Fatalf("first GET /api/visitor from the allowed origin = %+v; want 200, a new visitor and a readable X-Request-Id", first)
	}
	second := call[visitorBody](t, tab, apiURL+"/api/visitor", getVisitor)
	if diff := cmp.Diff(visitorBody{Visitor: first.Body.Visitor, New: false}, second.Body); second.Error != "" || second.Status != http.StatusOK || diff != "" {
		t.Fatalf("second GET /api/visitor = %+v; want 200 and the same visitor, from the cookie (-want +got):\n%s", second, diff)
	}
	cookies, err := chromedp.Call(tab, network.GetCookies, network.GetCookiesParams{URLs: []string{apiURL + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cookies.Cookies) != 1 {
		t.Fatalf("the browser holds %d cookies for %s, want the visitor cookie", len(cookies.Cookies), apiURL)
	}
	c := cookies.Cookies[0]
	type attrs struct {
		Name, Domain     string
		HTTPOnly, Secure bool
		SameSite         network.CookieSameSite
	}
	if diff := cmp.Diff(attrs{"visitor", "localhost", true, true, network.CookieSameSiteNone},
		attrs{c.Name, c.Domain, c.HTTPOnly, c.Secure, c.SameSite}); diff != "" {
		t.Errorf("the visitor cookie the browser stored (-want +got):\n%s", diff)
	}

	const allowedText = "from the allowed origin"
	posted := call[comment](t, tab, apiURL+"/api/comments", postJSON(allowedText))
	if posted.Error != "" || posted.Status != http.StatusCreated || posted.Body.Comment != allowedText {
		t.Fatalf("POST /api/comments from the allowed origin = %+v; want 201 with the comment", posted)
	}
	want := []comment{{"First"}, {"Nice post"}, {allowedText}}
	if diff := cmp.Diff(want, getJSON[[]comment](t, "http://"+api.addr+"/api/comments")); diff != "" {
		t.Errorf("GET /api/comments after the allowed POST (-want +got):\n%s", diff)
	}

	// From a disallowed origin, with its cookie in the jar: the preflights
	// are refused, so the browser sends neither the GET nor the JSON POST;
	// the POSTs a browser sends without a preflight (text/plain, and a
	// beacon and a no-cors fetch without a Content-Type, which micro.JSON
	// would read as JSON) reach the server, whose CSRF protection refuses
	// them before the route.
	if err := chromedp.Do(tab, chromedp.Navigate(refused.URL+"/")); err != nil {
		t.Fatal(err)
	}
	refusals := []struct {
		name string
		url  string
		init map[string]any
	}{
		{"preflighted GET of the visitor", apiURL + "/api/visitor", getVisitor},
		{"preflighted JSON POST", apiURL + "/api/comments", postJSON("from a disallowed origin, JSON")},
		{"simple text/plain POST", apiURL + "/api/comments", map[string]any{
			"method":      "POST",
			"credentials": "include",
			"headers":     map[string]string{"Content-Type": "text/plain"},
			"body":        jsLiteral(t, comment{"from a disallowed origin, text/plain"}),
		}},
	}
	for _, r := range refusals {
		if got := call[any](t, tab, r.url, r.init); got.Error != "TypeError" {
			t.Errorf("%s from the disallowed origin = %+v; want fetch to reject with a TypeError", r.name, got)
		}
	}
	forbidden := func(l logged) bool { return l.Method == "POST" && l.Status == http.StatusForbidden }
	beaconJSON := jsLiteral(t, jsLiteral(t, comment{"from a disallowed origin, sendBeacon"}))
	if queued, err := chromedp.Run(tab, chromedp.Evaluate[bool]("beacon("+jsLiteral(t, apiURL+"/api/comments")+", "+beaconJSON+")")); err != nil || !queued {
		t.Fatalf("sendBeacon from the disallowed origin: queued %v, %v", queued, err)
	}
	waitUntil(t, tab, "the beacon's 403", func() bool { return countLogged(parseLogged(api.log()), forbidden) == 2 })
	blobJSON := jsLiteral(t, jsLiteral(t, comment{"from a disallowed origin, no-cors Blob"}))
	blob, err := chromedp.Run(tab, chromedp.Evaluate[answer[any]]("blobPost("+jsLiteral(t, apiURL+"/api/comments")+", "+blobJSON+")", chromedp.EvalAwaitPromise))
	if err != nil || blob.Error != "" || blob.Status != 0 {
		t.Errorf("no-cors Blob POST from the disallowed origin = %+v, %v; want an opaque response (status 0)", blob, err)
	}
	waitUntil(t, tab, "the no-cors POST's 403", func() bool { return countLogged(parseLogged(api.log()), forbidden) == 3 })
	if diff := cmp.Diff(want, getJSON[[]comment](t, "http://"+api.addr+"/api/comments")); diff != "" {
		t.Errorf("GET /api/comments after the disallowed POSTs (-want +got):\n%s", diff)
	}

	// What reached the server, as it logged it. The X-Request-Id the
	// allowed page read is the ID the server logged. The visitor's
	// preflight is answered once: the second GET uses the browser's
	// preflight cache (Access-Control-Max-Age).
	got := api.requests(t, nil)
	for i := range got {
		if got[i].Path != "/api/visitor" || got[i].Method != "GET" {
			got[i].RequestID = ""
		}
	}
	wantLog := []logged{
		{"OPTIONS", "/api/visitor", 204, ""},
		{"GET", "/api/visitor", 200, first.RequestID},
		{"GET", "/api/visitor", 200, second.RequestID},
		{"OPTIONS", "/api/comments", 204, ""},
		{"POST", "/api/comments", 201, ""},
		{"GET", "/api/comments", 200, ""},     // ours
		{"OPTIONS", "/api/visitor", 204, ""},  // disallowed: no CORS headers, so the GET is not sent
		{"OPTIONS", "/api/comments", 204, ""}, // disallowed: the JSON POST is not sent
		{"POST", "/api/comments", 403, ""},    // the text/plain POST, refused by CrossOrigin
		{"POST", "/api/comments", 403, ""},    // the beacon, no Content-Type: refused by CrossOrigin
		{"POST", "/api/comments", 403, ""},    // the no-cors Blob, no Content-Type: refused by CrossOrigin
		{"GET", "/api/comments", 200, ""},     // ours
	}
	if diff := cmp.Diff(wantLog, got); diff != "" {
		t.Errorf("requests logged (-want +got):\n%s", diff)
	}
}

// callerPage serves testdata/caller.html on http://127.0.0.1:port, an
// origin of its own, until t ends.
func callerPage(t *testing.T) *httptest.Server {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("testdata", "caller.html"))
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(s.Close)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("a page server listens on %s, want 127.0.0.1", s.URL)
	}
	return s
}

// call evaluates call(url, init) in the page of tab (testdata/caller.html),
// so the fetch comes from that page's origin, and waits for its answer.
func call[B any](t *testing.T, tab context.Context, url string, init map[string]any) answer[B] {
	t.Helper()
	expr := "call(" + jsLiteral(t, url) + ", " + jsLiteral(t, init) + ")"
	a, err := chromedp.Run(tab, chromedp.Evaluate[answer[B]](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return a
}

// waitUntil waits until done reports true, or fails t when tab's
// deadline passes first: a beacon is sent when the browser chooses, and a
// log line is written after the response.
func waitUntil(t *testing.T, tab context.Context, what string, done func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !done() {
		select {
		case <-tab.Done():
			t.Fatalf("waiting for %s: %v", what, tab.Err())
		case <-tick.C:
		}
	}
}

// countLogged returns how many of ls match.
func countLogged(ls []logged, match func(logged) bool) int {
	n := 0
	for _, l := range ls {
		if match(l) {
			n++
		}
	}
	return n
}
