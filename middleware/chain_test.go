package middleware_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// The chain_*_test.go files run the full recommended chain, Default plus
// the appended CrossOrigin, Cookies and Timeout, over a real server, and
// check how the middlewares interact: one log line per request with the
// right status, bytes, cause and IDs, whatever the route does. This file
// holds the server they share (chainStart); the scenarios are grouped by
// what the route does:
//
//   - chain_errors_test.go: errors, panics, the Timeout 503, a client
//     leaving (499) and a body over the limit (413);
//   - chain_streams_test.go: server-sent events through every middleware;
//   - chain_bodies_test.go: bodyless responses and compressed JSON;
//   - chain_cors_test.go: preflights and cross-origin writes;
//   - chain_request_id_test.go: concurrent requests and their IDs.

// chainOrigin is the page origin the chain's CORS and CrossOrigin allow.
const chainOrigin = "https://app.example.com"

// chainBodyLimit is the chain's BodyLimit.
const chainBodyLimit = 4096

// chainWait bounds every wait for something that must happen; reaching it
// is a failure, never a measurement.
const chainWait = 10 * time.Second

// chainKey is the Cookies signing key.
var chainKey = bytes.Repeat([]byte("k"), 32)

// chainLine is one decoded log line.
type chainLine struct {
	Level     string `json:"level"`
	Msg       string `json:"msg"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Status    int    `json:"status"`
	Bytes     int64  `json:"bytes"`
	RequestID string `json:"request_id"`
	ClientIP  string `json:"client_ip"`
	Error     string `json:"error"`
	Stack     string `json:"stack"`
}

// chainLines decodes the log lines written so far.
func chainLines(t *testing.T, log *testkit.Log) []chainLine {
	t.Helper()
	return testkit.JSONLines[chainLine](t, log.String())
}

// chainEnv is a server running routes behind the full chain.
type chainEnv struct {
	srv    *httptest.Server
	client *http.Client
	log    *testkit.Log
}

// chainStart serves mux behind the full chain with the given Timeout
// (none when 0). The server is closed at the end of the test.
func chainStart(t *testing.T, timeout time.Duration, mux *http.ServeMux) *chainEnv {
	t.Helper()
	e := &chainEnv{log: &testkit.Log{}}
	c := middleware.Default(middleware.DefaultConfig{
		Logger: e.log.JSONLogger(slog.LevelInfo),
		CORS: &middleware.CORSConfig{
			AllowedOrigins:   []string{chainOrigin},
			AllowedMethods:   []string{"GET", "HEAD", "POST", "PUT", "DELETE"},
			AllowedHeaders:   []string{"Content-Type", "X-Request-Id"},
			ExposedHeaders:   []string{"X-Request-Id"},
			AllowCredentials: true,
			MaxAge:           time.Hour,
		},
		BodyLimit: chainBodyLimit,
	}).Append(middleware.CrossOrigin(chainOrigin), middleware.Cookies(middleware.CookiesConfig{Keys: [][]byte{chainKey}}))
	if timeout > 0 {
		c = c.Append(middleware.Timeout(timeout))
	}
	e.srv = httptest.NewServer(c.Then(mux))
	// No transparent decompression: the tests see the bytes on the wire.
	tr := &http.Transport{DisableCompression: true}
	e.client = &http.Client{Transport: tr}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		e.srv.Close()
	})
	return e
}

// finish closes the server, which waits for every request to complete, so
// every log line has been written, and returns the lines.
func (e *chainEnv) finish(t *testing.T) []chainLine {
	t.Helper()
	e.client.Transport.(*http.Transport).CloseIdleConnections()
	e.srv.Close()
	return chainLines(t, e.log)
}

// chainRes is a response read in full, its body as it came off the wire.
type chainRes struct {
	status int
	header http.Header
	raw    []byte
}

// fetch sends r and reads the whole response; it may run in any goroutine.
func (e *chainEnv) fetch(r *http.Request) (chainRes, error) {
	res, err := e.client.Do(r)
	if err != nil {
		return chainRes{}, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return chainRes{}, fmt.Errorf("%s %s: reading the body: %w", r.Method, r.URL.Path, err)
	}
	return chainRes{res.StatusCode, res.Header, raw}, nil
}

// do is fetch in the test's goroutine, failing the test on an error.
func (e *chainEnv) do(t *testing.T, r *http.Request) chainRes {
	t.Helper()
	res, err := e.fetch(r)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// req builds a request to the server with the headers given as pairs.
func (e *chainEnv) req(t *testing.T, method, path string, body io.Reader, header ...string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// decoded returns the response body, gunzipped when it is gzip; it may
// run in any goroutine.
func (cr chainRes) decoded() ([]byte, error) {
	if cr.header.Get("Content-Encoding") != "gzip" {
		return cr.raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(cr.raw))
	if err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	return b, nil
}

// body is decoded in the test's goroutine, failing the test on an error.
func (cr chainRes) body(t *testing.T) []byte {
	t.Helper()
	b, err := cr.decoded()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// problem checks that cr is a problem and returns it.
func (cr chainRes) problem(t *testing.T) testkit.ProblemBody {
	t.Helper()
	return testkit.Problem(t, cr.header, cr.body(t))
}

// chainOnly returns the one line for path, failing unless there is
// exactly one line in all (no separate "unhandled error" line either).
func chainOnly(t *testing.T, lines []chainLine, path string) chainLine {
	t.Helper()
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1: %+v", len(lines), lines)
	}
	if lines[0].Path != path || lines[0].Msg != "request" {
		t.Fatalf("log line %+v, want the request line for %s", lines[0], path)
	}
	return lines[0]
}

// chainVary returns how many times each token appears in the Vary lines.
func chainVary(h http.Header) map[string]int {
	n := map[string]int{}
	for _, line := range h.Values("Vary") {
		for _, v := range strings.Split(line, ",") {
			n[http.CanonicalHeaderKey(strings.TrimSpace(v))]++
		}
	}
	return n
}

// chainCORSOK checks the CORS headers a credentialed response to
// chainOrigin carries.
func chainCORSOK(t *testing.T, h http.Header) {
	t.Helper()
	if got := h.Get("Access-Control-Allow-Origin"); got != chainOrigin {
		t.Errorf("Access-Control-Allow-Origin %q, want %q", got, chainOrigin)
	}
	if got := h.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("Access-Control-Allow-Credentials %q, want true", got)
	}
	if n := chainVary(h)["Origin"]; n != 1 {
		t.Errorf("Vary %q has Origin %d times, want once", h.Values("Vary"), n)
	}
}

// chainTimeouts are the chain variants: without Timeout and through a
// Timeout long enough never to fire.
var chainTimeouts = []struct {
	name string
	d    time.Duration
}{{"without Timeout", 0}, {"through Timeout", time.Minute}}
