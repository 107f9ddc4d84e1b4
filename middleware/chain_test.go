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

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// The chain_*_test.go files run the full recommended chain, Default plus
// the appended CrossOrigin, Cookies and Timeout, over a real server, and
// check how the middlewares interact: one log line per request with the
// right status, bytes, cause and IDs, whatever the route does. This file
// holds the server they share (chainStart) and the tests of Default's own
// configuration (its panic, BodyLimit, order, cross-site refusal and
// DisableCompress); the scenarios are grouped by what the route does:
//
//   - chain_errors_test.go: errors, panics, the Timeout 503, a client
//     leaving (499) and a body over the limit (413);
//   - chain_streams_test.go: server-sent events and micro.Stream through
//     every middleware, Timeout and Compress's Streams included;
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

func TestDefaultPanicsWithoutALogger(t *testing.T) {
	if testkit.Recover(func() { middleware.Default(middleware.DefaultConfig{}) }) == nil {
		t.Error("Default without a Logger did not panic")
	}
}

func TestDefaultBodyLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int64
		size  int
		want  int
	}{
		{"zero means 1 MiB: 1 MiB passes", 0, 1 << 20, 200},
		{"zero means 1 MiB: one byte more is 413", 0, 1<<20 + 1, 413},
		{"a set limit", 10, 11, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := middleware.Default(middleware.DefaultConfig{
				Logger:    slog.New(slog.DiscardHandler),
				BodyLimit: tc.limit,
			}).Then(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					http.Error(w, "", http.StatusRequestEntityTooLarge)
				}
			}))
			w := serve(h, httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", tc.size))))
			if w.Code != tc.want {
				t.Errorf("status %d, want %d", w.Code, tc.want)
			}
		})
	}
}

// TestDefaultOrder checks the consequences of the order Default documents.
func TestDefaultOrder(t *testing.T) {
	var logs testkit.Log
	h := middleware.Default(middleware.DefaultConfig{
		Logger: logs.JSONLogger(slog.LevelDebug),
		CORS:   &middleware.CORSConfig{AllowedOrigins: []string{"https://app.example.com"}},
	}).Then(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("route bug")
	}))

	// A panic deep in the chain: a 500 problem that still carries the
	// request ID and the CORS headers (so the page can read it), and one
	// ERROR line with the request ID and the panic.
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("X-Request-ID", "order-1")
	r.Header.Set("Accept-Encoding", "gzip")
	w := serve(h, r)
	if p := testkit.RecordedProblem(t, w); p.Status != 500 || w.Header().Get("X-Request-ID") != "order-1" ||
		w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("status %d, headers %v", w.Code, w.Header())
	}
	lines := logs.Lines(t)
	if len(lines) != 1 || lines[0]["request_id"] != "order-1" || lines[0]["error"] != "panic: route bug" {
		t.Errorf("log lines %v", lines)
	}

	// Without CORS configured, no CORS headers at all.
	plain := middleware.Default(middleware.DefaultConfig{Logger: slog.New(slog.DiscardHandler)}).Then(ok)
	if w := serve(plain, r); w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") == "Origin" {
		t.Errorf("CORS headers without CORS configured: %v", w.Header())
	}
}

// TestDefaultRefusesCrossSiteWrites: the recommended chain refuses a
// browser's cross-site write, whatever its Content-Type (a sendBeacon or a
// no-cors fetch of a Blob sends none, with the cookies and no preflight),
// and lets through same-origin pages, the CORS config's allowed origins
// and clients that are not browsers.
func TestDefaultRefusesCrossSiteWrites(t *testing.T) {
	stored := 0
	route := micro.Handler(func(r *http.Request) (any, error) {
		c, err := micro.JSON[struct{ Comment string }](r)
		if err != nil {
			return nil, err
		}
		stored++
		return &micro.Response{Status: http.StatusCreated, Body: c}, nil
	})
	logger := slog.New(slog.DiscardHandler)
	cors := &middleware.CORSConfig{
		AllowedOrigins:   []string{"https://app.example.com", "https://*.apps.example.org"},
		AllowedHeaders:   []string{"Content-Type"},
		AllowCredentials: true,
	}
	chains := map[string]http.Handler{
		"CORS":               middleware.Default(middleware.DefaultConfig{Logger: logger, CORS: cors}).Then(route),
		"no CORS":            middleware.Default(middleware.DefaultConfig{Logger: logger}).Then(route),
		"CORS *":             middleware.Default(middleware.DefaultConfig{Logger: logger, CORS: &middleware.CORSConfig{AllowedOrigins: []string{"*"}}, DisableCrossOrigin: true}).Then(route),
		"DisableCrossOrigin": middleware.Default(middleware.DefaultConfig{Logger: logger, CORS: cors, DisableCrossOrigin: true}).Then(route),
	}
	beacon := []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "no-cors", "Origin", "https://evil.example", "Cookie", "session=s"}
	for _, tc := range []struct {
		name   string
		chain  string
		header []string
		want   int
	}{
		{"cross-site beacon without Content-Type is 403", "CORS", beacon, 403},
		{"cross-site beacon without CORS configured is 403", "no CORS", beacon, 403},
		{`cross-site POST under CORS "*" with DisableCrossOrigin passes`, "CORS *", beacon, 201},
		{"cross-site text/plain POST is 403", "CORS", append(beacon, "Content-Type", "text/plain"), 403},
		{"older browser: cross-origin Origin without Sec-Fetch-Site is 403", "CORS", []string{"Origin", "https://evil.example", "Cookie", "session=s"}, 403},
		{"allowed origin's credentialed POST passes", "CORS", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://app.example.com", "Content-Type", "application/json", "Cookie", "session=s"}, 201},
		{"allowed pattern's POST passes", "CORS", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://a.apps.example.org", "Content-Type", "application/json"}, 201},
		{"same-origin page's POST passes", "CORS", []string{"Sec-Fetch-Site", "same-origin", "Origin", "https://api.example.com", "Cookie", "session=s"}, 201},
		{"older browser: same-origin Origin passes", "no CORS", []string{"Origin", "http://api.example.com"}, 201},
		{"non-browser client (curl, http.Client) passes", "CORS", nil, 201},
		{"DisableCrossOrigin lets the beacon through", "DisableCrossOrigin", beacon, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := stored
			r := httptest.NewRequest("POST", "http://api.example.com/api/comments", strings.NewReader(`{"comment":"hi"}`))
			for i := 0; i < len(tc.header); i += 2 {
				r.Header.Set(tc.header[i], tc.header[i+1])
			}
			w := serve(chains[tc.chain], r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.want, w.Body)
			}
			if tc.want == 403 {
				if p := testkit.RecordedProblem(t, w); p.Detail != "Cross-origin request refused" || stored != before {
					t.Errorf("problem %+v, stored %d, want the CrossOrigin refusal before the route", p, stored-before)
				}
			}
		})
	}
}

// TestDefaultDisableCompress: DisableCompress leaves Compress out, so a
// large JSON body goes uncompressed to a gzip client, and the Compress
// config, unused, is not checked.
func TestDefaultDisableCompress(t *testing.T) {
	big := strings.Repeat(`{"comment":"hello"},`, 200)
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "["+big+"{}]")
	})
	for _, tc := range []struct {
		name     string
		disable  bool
		encoding string
	}{
		{"compressed by default", false, "gzip"},
		{"DisableCompress", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := middleware.Default(middleware.DefaultConfig{
				Logger:          slog.New(slog.DiscardHandler),
				DisableCompress: tc.disable,
			}).Then(route)
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", "gzip")
			w := serve(h, r)
			if got := w.Header().Get("Content-Encoding"); w.Code != 200 || got != tc.encoding {
				t.Errorf("status %d, Content-Encoding %q; want 200, %q", w.Code, got, tc.encoding)
			}
		})
	}
	bad := middleware.DefaultConfig{Logger: slog.New(slog.DiscardHandler), Compress: middleware.CompressConfig{MinSize: -1}}
	if bad.Validate() == nil {
		t.Error("Validate accepted a negative Compress MinSize")
	}
	bad.DisableCompress = true
	if err := bad.Validate(); err != nil {
		t.Errorf("Validate with DisableCompress = %v, want nil: Compress is not built", err)
	}
}
