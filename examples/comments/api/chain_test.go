package api

import (
	"compress/gzip"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
)

// testConfig is the chain's configuration in tests: logs to t.Log, a fixed
// key, and one allowed cross-origin page.
func testConfig(t *testing.T) Config {
	return Config{
		Logger:      slog.New(slog.NewTextHandler(tWriter{t}, nil)),
		CORSOrigins: []string{"https://app.example.com"},
		CookieKey:   []byte("0123456789abcdef0123456789abcdef"),
	}
}

// tWriter writes log output to t.Log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// fetch sends a request to srv with body and the header given (an empty
// value is not sent), from a client that does not ask for gzip by itself,
// and reads the whole response.
func fetch(t *testing.T, srv *httptest.Server, method, path, body string, header map[string]string) testkit.Response {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	return testkit.Do(t, &http.Client{Transport: tr}, r)
}

// cookies returns the cookies a response sets.
func cookies(res testkit.Response) []*http.Cookie {
	return (&http.Response{Header: res.Header}).Cookies()
}

func TestChainCORSAndCSRF(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(seed), testConfig(t)))
	defer srv.Close()

	pre := fetch(t, srv, "OPTIONS", "/api/comments", "", map[string]string{
		"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type"})
	if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		pre.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight: %d %v", pre.Status, pre.Header)
	}

	body := `{"comment":"from the app"}`
	ok := fetch(t, srv, "POST", "/api/comments", body, map[string]string{
		"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"})
	if ok.Status != 201 || ok.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("allowed cross-origin POST: %d %v", ok.Status, ok.Header)
	}

	evil := fetch(t, srv, "POST", "/api/comments", body, map[string]string{
		"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"})
	if evil.Status != 403 || evil.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("forged cross-site POST: %d %v", evil.Status, evil.Header)
	}
	if !strings.Contains(strings.Join(evil.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("refused response without Vary: Origin: %v", evil.Header)
	}
}

func TestChainBodyLimitIs64KiB(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(seed), testConfig(t)))
	defer srv.Close()
	big := `{"comment":"` + strings.Repeat("x", 64<<10) + `"}`
	res := fetch(t, srv, "POST", "/api/comments", big, map[string]string{"Content-Type": "application/json"})
	if res.Status != 413 || !strings.Contains(res.Body, "Body exceeded 65536 byte limit") {
		t.Errorf("%d %s", res.Status, res.Body)
	}
}

func TestChainIdentifiesAndCompresses(t *testing.T) {
	s := NewMemoryStore(seed)
	for range 40 { // enough comments that the list is over the compression minimum
		if err := s.Add(Comment{Comment: "a comment long enough to add up"}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(NewHandler(s, testConfig(t)))
	defer srv.Close()
	res := fetch(t, srv, "GET", "/api/comments", "", map[string]string{"Accept-Encoding": "gzip", "X-Request-ID": "trace-7"})
	if res.Header.Get("X-Request-ID") != "trace-7" || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("headers %v", res.Header)
	}
	zr, err := gzip.NewReader(strings.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	var list []Comment
	if err := json.NewDecoder(zr).Decode(&list); err != nil || len(list) != 42 {
		t.Errorf("%d comments, %v", len(list), err)
	}
}

func TestChainVisitorCookie(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(seed), testConfig(t)))
	defer srv.Close()
	type answer struct {
		Visitor string
		New     bool
	}
	read := func(res testkit.Response) answer {
		var a answer
		if err := json.Unmarshal([]byte(res.Body), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := fetch(t, srv, "GET", "/api/visitor", "", nil)
	a := read(first)
	set := cookies(first)
	if !a.New || a.Visitor == "" || len(set) != 1 || !set[0].HttpOnly || set[0].SameSite != http.SameSiteNoneMode {
		t.Fatalf("first visit %+v, cookies %v", a, set)
	}
	again := fetch(t, srv, "GET", "/api/visitor", "", map[string]string{"Cookie": set[0].Name + "=" + set[0].Value})
	if b := read(again); b.New || b.Visitor != a.Visitor || len(cookies(again)) != 0 {
		t.Errorf("second visit %+v, want the same visitor", b)
	}
	forged := fetch(t, srv, "GET", "/api/visitor", "", map[string]string{"Cookie": "visitor=" + set[0].Value[:10] + "x"})
	if b := read(forged); !b.New || b.Visitor == a.Visitor {
		t.Errorf("forged cookie accepted: %+v", b)
	}
}

// TestChainTrustsCORSPatterns: a CORSOrigins pattern is trusted by the
// CSRF protection as CORS allows it, so a page on a subdomain can post;
// a cross-site page, with or without a Content-Type, cannot.
func TestChainTrustsCORSPatterns(t *testing.T) {
	cfg := testConfig(t)
	cfg.CORSOrigins = []string{"https://*.example.com"}
	srv := httptest.NewServer(NewHandler(NewMemoryStore(nil), cfg))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"same-site page of the pattern", map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}, 201},
		{"cross-site beacon, no Content-Type", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Cookie": "visitor=x"}, 403},
		{"curl", nil, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := fetch(t, srv, "POST", "/api/comments", `{"comment":"hi"}`, tc.header)
			if res.Status != tc.want {
				t.Errorf("status %d, want %d", res.Status, tc.want)
			}
		})
	}
}
