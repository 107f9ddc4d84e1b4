package main

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/internal/testkit"
)

// routeTimeout is the Timeout of the tests' servers: the program's 2 s,
// as generous on a loaded machine. Only the test of the timeout itself
// shortens it, for its slow route alone.
const routeTimeout = 2 * time.Second

// server starts the example's handler, with the Timeout middleware set to
// timeout, on a loopback server; the log lines and access-log lines go to
// the returned buffers.
func server(t *testing.T, timeout time.Duration) (*httptest.Server, *testkit.Log, *testkit.Log) {
	t.Helper()
	logs, access := new(testkit.Log), new(testkit.Log)
	cfg := config{
		trusted:   []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		accessLog: access,
		timeout:   timeout,
	}
	srv := httptest.NewServer(newHandler(slog.New(slog.NewJSONHandler(logs, nil)), cfg))
	t.Cleanup(srv.Close)
	return srv, logs, access
}

// get sends GET path to srv, with header, from a client that does not ask
// for gzip by itself, and reads the whole response.
func get(t *testing.T, srv *httptest.Server, path string, header map[string]string) testkit.Response {
	t.Helper()
	r, _ := http.NewRequest("GET", srv.URL+path, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	return testkit.Do(t, &http.Client{Transport: tr}, r)
}

func TestErrorsAreProblems(t *testing.T) {
	for _, tc := range []struct {
		path    string
		timeout time.Duration // short for the route that sleeps past it alone
		status  int
		logged  string
	}{
		{"/api/panic", routeTimeout, 500, "this route has a bug"},
		{"/api/slow", 200 * time.Millisecond, 503, "/api/slow"},
	} {
		srv, logs, _ := server(t, tc.timeout)
		res := get(t, srv, tc.path, nil)
		var p struct{ Status int }
		if res.Status != tc.status || res.Header.Get("Content-Type") != "application/problem+json" ||
			json.Unmarshal([]byte(res.Body), &p) != nil || p.Status != tc.status {
			t.Errorf("%s: %d %s %s", tc.path, res.Status, res.Header.Get("Content-Type"), res.Body)
		}
		if strings.Contains(res.Body, "bug") {
			t.Errorf("%s: panic text sent to the client: %s", tc.path, res.Body)
		}
		srv.Close() // waits for handlers, so the lines are written
		if !strings.Contains(logs.String(), tc.logged) {
			t.Errorf("%s: %q not logged:\n%s", tc.path, tc.logged, logs)
		}
	}
}

func TestEchoBodyLimit(t *testing.T) {
	srv, _, _ := server(t, routeTimeout)
	res, err := http.Post(srv.URL+"/api/echo", "application/json", strings.NewReader(`"`+strings.Repeat("x", 20<<10)+`"`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("status %d, want 413", res.StatusCode)
	}
	res, err = http.Post(srv.URL+"/api/echo", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"a":1}` {
		t.Errorf("echo: %d %s", res.StatusCode, b)
	}
}

func TestReportIsCompressedForGzipClients(t *testing.T) {
	srv, _, _ := server(t, routeTimeout)
	res := get(t, srv, "/api/report", map[string]string{"Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !strings.HasPrefix(string(plain), "day,visits\n") || len(plain) < 15000 {
		t.Errorf("decompressed %d bytes, %v", len(plain), err)
	}
	res = get(t, srv, "/api/report", nil)
	if res.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(res.Body, "day,visits") {
		t.Errorf("identity response: encoding %q", res.Header.Get("Content-Encoding"))
	}
}

func TestEveryRequestIsIdentifiedAndLogged(t *testing.T) {
	srv, logs, access := server(t, routeTimeout)
	res := get(t, srv, "/healthz", map[string]string{"X-Request-ID": "probe-1", "X-Forwarded-For": "203.0.113.9"})
	if res.Header.Get("X-Request-ID") != "probe-1" {
		t.Errorf("X-Request-ID %q", res.Header.Get("X-Request-ID"))
	}
	srv.Close() // waits for handlers, so the lines are written
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line); err != nil {
		t.Fatalf("log %q: %v", logs, err)
	}
	// 127.0.0.1 is a trusted proxy here, so the client is the X-Forwarded-For address.
	if line["request_id"] != "probe-1" || line["client_ip"] != "203.0.113.9" || line["status"] != 200.0 || line["path"] != "/healthz" {
		t.Errorf("log line %v", line)
	}
	if !strings.Contains(access.String(), `"GET /healthz HTTP/1.1" 200 2`) {
		t.Errorf("access log %q", access)
	}
}
