package api

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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

func doReq(t *testing.T, srv *httptest.Server, method, path, body string, header map[string]string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	res, err := (&http.Client{Transport: tr}).Do(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestChainCORSAndCSRF(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(seed), testConfig(t)))
	defer srv.Close()

	pre := doReq(t, srv, "OPTIONS", "/api/comments", "", map[string]string{
		"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type"})
	if pre.StatusCode != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		pre.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight: %d %v", pre.StatusCode, pre.Header)
	}

	body := `{"comment":"from the app"}`
	ok := doReq(t, srv, "POST", "/api/comments", body, map[string]string{
		"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"})
	if ok.StatusCode != 201 || ok.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("allowed cross-origin POST: %d %v", ok.StatusCode, ok.Header)
	}

	evil := doReq(t, srv, "POST", "/api/comments", body, map[string]string{
		"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"})
	if evil.StatusCode != 403 || evil.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("forged cross-site POST: %d %v", evil.StatusCode, evil.Header)
	}
	if !strings.Contains(strings.Join(evil.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("refused response without Vary: Origin: %v", evil.Header)
	}
}

func TestChainBodyLimitIs64KiB(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(seed), testConfig(t)))
	defer srv.Close()
	big := `{"comment":"` + strings.Repeat("x", 64<<10) + `"}`
	res := doReq(t, srv, "POST", "/api/comments", big, map[string]string{"Content-Type": "application/json"})
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 413 || !strings.Contains(string(b), "Body exceeded 65536 byte limit") {
		t.Errorf("%d %s", res.StatusCode, b)
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
	res := doReq(t, srv, "GET", "/api/comments", "", map[string]string{"Accept-Encoding": "gzip", "X-Request-ID": "trace-7"})
	if res.Header.Get("X-Request-ID") != "trace-7" || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("headers %v", res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
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
	read := func(res *http.Response) answer {
		var a answer
		if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := doReq(t, srv, "GET", "/api/visitor", "", nil)
	a := read(first)
	cookies := first.Cookies()
	if !a.New || a.Visitor == "" || len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteNoneMode {
		t.Fatalf("first visit %+v, cookies %v", a, cookies)
	}
	again := doReq(t, srv, "GET", "/api/visitor", "", map[string]string{"Cookie": cookies[0].Name + "=" + cookies[0].Value})
	if b := read(again); b.New || b.Visitor != a.Visitor || len(again.Cookies()) != 0 {
		t.Errorf("second visit %+v, want the same visitor", b)
	}
	forged := doReq(t, srv, "GET", "/api/visitor", "", map[string]string{"Cookie": "visitor=" + cookies[0].Value[:10] + "x"})
	if b := read(forged); !b.New || b.Visitor == a.Visitor {
		t.Errorf("forged cookie accepted: %+v", b)
	}
}
