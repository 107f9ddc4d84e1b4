package main

import (
	"bytes"
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

// server starts the example's handler on a loopback server; the log lines
// and access-log lines go to the returned buffers.
func server(t *testing.T) (*httptest.Server, *testkit.Log, *testkit.Log) {
	t.Helper()
	logs, access := new(testkit.Log), new(testkit.Log)
	cfg := config{
		trusted:   []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		accessLog: access,
		timeout:   200 * time.Millisecond,
	}
	srv := httptest.NewServer(newHandler(slog.New(slog.NewJSONHandler(logs, nil)), cfg))
	t.Cleanup(srv.Close)
	return srv, logs, access
}

func get(t *testing.T, srv *httptest.Server, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	r, _ := http.NewRequest("GET", srv.URL+path, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func TestErrorsAreProblems(t *testing.T) {
	srv, logs, _ := server(t)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/api/panic", 500},
		{"/api/slow", 503},
	} {
		res, b := get(t, srv, tc.path, nil)
		var p struct{ Status int }
		if res.StatusCode != tc.status || res.Header.Get("Content-Type") != "application/problem+json" ||
			json.Unmarshal(b, &p) != nil || p.Status != tc.status {
			t.Errorf("%s: %d %s %s", tc.path, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
		if strings.Contains(string(b), "bug") {
			t.Errorf("%s: panic text sent to the client: %s", tc.path, b)
		}
	}
	if !strings.Contains(logs.String(), "this route has a bug") {
		t.Errorf("panic not logged:\n%s", logs)
	}
}

func TestEchoBodyLimit(t *testing.T) {
	srv, _, _ := server(t)
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
	srv, _, _ := server(t)
	res, b := get(t, srv, "/api/report", map[string]string{"Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !strings.HasPrefix(string(plain), "day,visits\n") || len(plain) < 15000 {
		t.Errorf("decompressed %d bytes, %v", len(plain), err)
	}
	res, b = get(t, srv, "/api/report", nil)
	if res.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(string(b), "day,visits") {
		t.Errorf("identity response: encoding %q", res.Header.Get("Content-Encoding"))
	}
}

func TestEveryRequestIsIdentifiedAndLogged(t *testing.T) {
	srv, logs, access := server(t)
	res, _ := get(t, srv, "/healthz", map[string]string{"X-Request-ID": "probe-1", "X-Forwarded-For": "203.0.113.9"})
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
