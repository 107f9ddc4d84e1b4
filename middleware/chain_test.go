package middleware_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	micro "github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// These tests run the full recommended chain, Default plus the appended
// CrossOrigin, Cookies and Timeout, over a real server, and check how the
// middlewares interact: one log line per request with the right status,
// bytes, cause and IDs, whatever the route does.

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
	}).Append(middleware.CrossOrigin(chainOrigin), middleware.Cookies(middleware.CookieConfig{Keys: [][]byte{chainKey}}))
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

var errChainSecret = errors.New("database password is hunter2")

func TestChainUnclassifiedErrorIsOneErrorLineWithoutLeakingTheError(t *testing.T) {
	for _, tc := range chainTimeouts {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("GET /fail", micro.Handler(func(r *http.Request) (any, error) {
				return nil, fmt.Errorf("loading: %w", errChainSecret)
			}))
			e := chainStart(t, tc.d, mux)
			res := e.do(t, e.req(t, "GET", "/fail", nil, "Origin", chainOrigin, "Accept-Encoding", "gzip"))
			if res.status != 500 {
				t.Fatalf("status %d, want 500", res.status)
			}
			want := testkit.ProblemBody{Type: "about:blank", Title: "Internal Server Error", Status: 500}
			if diff := cmp.Diff(want, res.problem(t)); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if bytes.Contains(res.body(t), []byte("hunter2")) {
				t.Errorf("the error text reached the client: %s", res.body(t))
			}
			chainCORSOK(t, res.header)
			line := chainOnly(t, e.finish(t), "/fail")
			if line.Level != "ERROR" || line.Status != 500 || !strings.Contains(line.Error, "hunter2") {
				t.Errorf("log line %+v, want ERROR, 500 and the error", line)
			}
			if line.RequestID == "" || line.RequestID != res.header.Get("X-Request-Id") {
				t.Errorf("request_id %q, response X-Request-ID %q", line.RequestID, res.header.Get("X-Request-Id"))
			}
			if line.ClientIP != "127.0.0.1" {
				t.Errorf("client_ip %q, want 127.0.0.1", line.ClientIP)
			}
			if line.Bytes != int64(len(res.raw)) {
				t.Errorf("bytes %d, %d on the wire", line.Bytes, len(res.raw))
			}
		})
	}
}

func TestChainPanicIsA500WithTheStackAndTheServerKeepsServing(t *testing.T) {
	for _, tc := range chainTimeouts {
		for _, route := range []string{"/plain-panic", "/micro-panic"} {
			t.Run(tc.name+route, func(t *testing.T) {
				mux := http.NewServeMux()
				mux.HandleFunc("GET /plain-panic", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					panic("plain boom")
				})
				mux.Handle("GET /micro-panic", micro.Handler(func(r *http.Request) (any, error) {
					panic("micro boom")
				}))
				mux.HandleFunc("GET /after", func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.WriteString(w, "still here")
				})
				e := chainStart(t, tc.d, mux)
				res := e.do(t, e.req(t, "GET", route, nil, "Origin", chainOrigin, "Accept-Encoding", "gzip"))
				if res.status != 500 {
					t.Fatalf("status %d, want 500", res.status)
				}
				want := testkit.ProblemBody{Type: "about:blank", Title: "Internal Server Error", Status: 500}
				if diff := cmp.Diff(want, res.problem(t)); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
				if bytes.Contains(res.raw, []byte("boom")) || bytes.Contains(res.raw, []byte("goroutine")) {
					t.Errorf("panic details reached the client: %s", res.raw)
				}
				chainCORSOK(t, res.header)
				after := e.do(t, e.req(t, "GET", "/after", nil))
				if after.status != 200 || string(after.raw) != "still here" {
					t.Errorf("after the panic: %d %q", after.status, after.raw)
				}
				lines := e.finish(t)
				if len(lines) != 2 {
					t.Fatalf("%d log lines, want 2 (the panic, then /after): %+v", len(lines), lines)
				}
				line := chainOnly(t, lines[:1], route)
				if line.Level != "ERROR" || line.Status != 500 || !strings.Contains(line.Error, "boom") {
					t.Errorf("log line %+v, want ERROR, 500 and the panic value", line)
				}
				if !strings.Contains(line.Stack, "goroutine ") {
					t.Errorf("no stack in the log line: %q", line.Stack)
				}
				if line.RequestID != res.header.Get("X-Request-Id") {
					t.Errorf("request_id %q, response X-Request-ID %q", line.RequestID, res.header.Get("X-Request-Id"))
				}
				// Through Timeout too: the panic is panicked again in the
				// caller's goroutine with the route goroutine's stack.
				if !strings.Contains(line.Stack, "chain_test.go") {
					t.Errorf("the stack does not show the route:\n%s", line.Stack)
				}
			})
		}
	}
}

// chainCounter counts the bytes read through it.
type chainCounter struct {
	r io.Reader
	n int64
}

func (c *chainCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestChainServerSentEventsStreamThroughTheWholeChain(t *testing.T) {
	const timeout = 50 * time.Millisecond
	release := make(chan struct{})
	routeErr := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		routeErr <- func() error {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Cache-Control", "no-cache")
			rc := http.NewResponseController(w)
			if _, err := io.WriteString(w, "data: one\n\n"); err != nil {
				return err
			}
			if err := rc.Flush(); err != nil {
				return err
			}
			select {
			case <-release:
			case <-r.Context().Done():
				return fmt.Errorf("context done while waiting: %w", r.Context().Err())
			}
			// Outlive the Timeout several times over before the second event.
			deadline, ok := r.Context().Deadline()
			if !ok {
				return errors.New("no deadline under Timeout")
			}
			time.Sleep(time.Until(deadline) + 3*timeout)
			if err := r.Context().Err(); err != nil {
				return fmt.Errorf("the stream's context ended after the timeout: %w", err)
			}
			if _, err := io.WriteString(w, "data: two\n\n"); err != nil {
				return err
			}
			return rc.Flush()
		}()
	})
	e := chainStart(t, timeout, mux)
	res, err := e.client.Do(e.req(t, "GET", "/events", nil,
		"Accept", "text/event-stream", "Accept-Encoding", "gzip", "Origin", chainOrigin))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if got := res.Header.Get("Content-Encoding"); got != "" {
		t.Errorf("Content-Encoding %q, want none: Compress sends streams as they are by default", got)
	}
	chainCORSOK(t, res.Header)
	wire := &chainCounter{r: res.Body}
	var body io.Reader = wire
	first := make(chan string, 1)
	readErr := make(chan error, 1)
	var rest []byte
	go func() {
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(wire)
			if err != nil {
				readErr <- err
				return
			}
			body = zr
		}
		br := bufio.NewReader(body)
		var ev strings.Builder
		for ev.Len() == 0 || !strings.HasSuffix(ev.String(), "\n\n") {
			l, err := br.ReadString('\n')
			ev.WriteString(l)
			if err != nil {
				readErr <- fmt.Errorf("first event %q: %w", ev.String(), err)
				return
			}
		}
		first <- ev.String()
		b, err := io.ReadAll(br)
		rest = b
		readErr <- err
	}()
	select {
	case ev := <-first:
		if ev != "data: one\n\n" {
			t.Errorf("first event %q", ev)
		}
	case err := <-readErr:
		t.Fatal(err)
	case <-time.After(chainWait):
		close(release)
		t.Fatal("the first event did not arrive while the route waited: it was buffered")
	}
	if lines := chainLines(t, e.log); len(lines) != 0 {
		t.Errorf("logged before the stream ended: %+v", lines)
	}
	close(release)
	select {
	case err := <-readErr:
		if err != nil {
			t.Fatalf("reading the rest of the stream: %v", err)
		}
	case <-time.After(chainWait):
		t.Fatal("the stream did not end")
	}
	if string(rest) != "data: two\n\n" {
		t.Errorf("after the first event: %q, want the second", rest)
	}
	if err := <-routeErr; err != nil {
		t.Errorf("route: %v", err)
	}
	line := chainOnly(t, e.finish(t), "/events")
	if line.Status != 200 || line.Level != "INFO" {
		t.Errorf("log line %+v, want INFO 200", line)
	}
	if line.Bytes != wire.n {
		t.Errorf("logged bytes %d, %d on the wire", line.Bytes, wire.n)
	}
}

func TestChainSlowRouteGets503AtTheDeadlineAndLeavesNoGoroutine(t *testing.T) {
	const timeout = 50 * time.Millisecond
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	lateWrite := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /warm", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release // ignores its context
		w.Header().Set("Content-Type", "text/plain")
		_, err := io.WriteString(w, "too late")
		lateWrite <- err
	})
	e := chainStart(t, timeout, mux)
	e.do(t, e.req(t, "GET", "/warm", nil)) // the connection and its goroutines exist from here
	before := runtime.NumGoroutine()

	got := make(chan chainRes, 1)
	failed := make(chan error, 1)
	slow := e.req(t, "GET", "/slow", nil, "Origin", chainOrigin, "Accept-Encoding", "gzip")
	go func() {
		res, err := e.fetch(slow)
		if err != nil {
			failed <- err
			return
		}
		got <- res
	}()
	<-entered
	var res chainRes
	select {
	case res = <-got: // while the route is still blocked: the client is not kept waiting
	case err := <-failed:
		close(release)
		t.Fatal(err)
	case <-time.After(chainWait):
		close(release)
		t.Fatal("no response while the route was blocked")
	}
	if res.status != 503 {
		t.Errorf("status %d, want 503", res.status)
	}
	want := testkit.ProblemBody{Type: "about:blank", Title: "Service Unavailable", Status: 503,
		Detail: "the server did not start its response within 50ms"}
	if diff := cmp.Diff(want, res.problem(t)); diff != "" {
		t.Errorf("problem (-want +got):\n%s", diff)
	}
	chainCORSOK(t, res.header)
	if got := res.header.Get("Access-Control-Expose-Headers"); got != "X-Request-Id" {
		t.Errorf("Access-Control-Expose-Headers %q", got)
	}
	id := res.header.Get("X-Request-Id")
	if id == "" {
		t.Error("no X-Request-ID on the 503")
	}

	close(release)
	if err := <-lateWrite; !errors.Is(err, http.ErrHandlerTimeout) {
		t.Errorf("a write after the 503: %v, want http.ErrHandlerTimeout", err)
	}
	deadline := time.Now().Add(chainWait)
	for n := runtime.NumGoroutine(); n > before; n = runtime.NumGoroutine() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the slow request:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
	lines := e.finish(t)
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2 (/warm, /slow): %+v", len(lines), lines)
	}
	line := chainOnly(t, lines[1:], "/slow")
	if line.Level != "ERROR" || line.Status != 503 || line.RequestID != id {
		t.Errorf("log line %+v, want ERROR 503 with request_id %q", line, id)
	}
	if !strings.Contains(line.Error, "did not start") {
		t.Errorf("error %q, want the timeout", line.Error)
	}
}

func TestChainClientDisconnectCancelsTheRouteAndIsLoggedOnceAs499(t *testing.T) {
	for _, tc := range chainTimeouts {
		t.Run(tc.name, func(t *testing.T) {
			entered := make(chan struct{}, 1)
			seen := make(chan error, 1)
			mux := http.NewServeMux()
			mux.Handle("GET /wait", micro.Handler(func(r *http.Request) (any, error) {
				entered <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-time.After(chainWait):
				}
				seen <- r.Context().Err()
				return nil, r.Context().Err()
			}))
			e := chainStart(t, tc.d, mux)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				res, err := e.client.Do(e.req(t, "GET", "/wait", nil).WithContext(ctx))
				if err == nil {
					res.Body.Close()
				}
				done <- err
			}()
			<-entered
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("client: %v, want context.Canceled", err)
			}
			if err := <-seen; !errors.Is(err, context.Canceled) {
				t.Errorf("the route's context: %v, want context.Canceled", err)
			}
			line := chainOnly(t, e.finish(t), "/wait")
			if line.Status != 499 || line.Level != "WARN" {
				t.Errorf("log line %+v, want WARN 499", line)
			}
		})
	}
}

// chainItem is one element of the large JSON document.
type chainItem struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

// chainBig returns a JSON document of about 64 KiB.
func chainBig() []chainItem {
	items := make([]chainItem, 1024)
	for i := range items {
		items[i] = chainItem{ID: i, Text: fmt.Sprintf("comment number %d %s", i, strings.Repeat("x", 32))}
	}
	return items
}

func TestChainBodylessResponsesHaveNoBodyAndZeroBytes(t *testing.T) {
	big := chainBig()
	for _, tc := range chainTimeouts {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("/big", micro.Handler(func(r *http.Request) (any, error) { return big, nil }))
			mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
				// Writes its body whatever the method, as net/http allows.
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(big)
			})
			mux.Handle("/none", micro.Handler(func(r *http.Request) (any, error) { return nil, nil }))
			mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Header().Set("ETag", `"v1"`)
				http.ServeContent(w, r, "", time.Time{}, strings.NewReader(strings.Repeat("line of text\n", 1000)))
			})
			e := chainStart(t, tc.d, mux)

			full := e.do(t, e.req(t, "GET", "/file", nil, "Accept-Encoding", "gzip", "Origin", chainOrigin))
			etag := full.header.Get("Etag")
			if full.status != 200 || full.header.Get("Content-Encoding") != "gzip" || etag != `W/"v1"` {
				t.Fatalf("GET /file: %d, Content-Encoding %q, ETag %q; want 200, gzip, W/\"v1\"",
					full.status, full.header.Get("Content-Encoding"), etag)
			}
			cases := []struct {
				name, method, path string
				header             []string
				status             int
			}{
				{"HEAD of a micro route", "HEAD", "/big", nil, 200},
				{"HEAD of a plain handler that writes a body", "HEAD", "/plain", nil, 200},
				{"204", "GET", "/none", nil, 204},
				{"304", "GET", "/file", []string{"If-None-Match", etag}, 304},
			}
			for _, c := range cases {
				hdr := append([]string{"Accept-Encoding", "gzip", "Origin", chainOrigin}, c.header...)
				res := e.do(t, e.req(t, c.method, c.path, nil, hdr...))
				if res.status != c.status || len(res.raw) != 0 {
					t.Errorf("%s: status %d, body %d bytes; want %d and no body", c.name, res.status, len(res.raw), c.status)
				}
				if ce := res.header.Get("Content-Encoding"); ce != "" {
					t.Errorf("%s: Content-Encoding %q on a response without a body", c.name, ce)
				}
				chainCORSOK(t, res.header)
				if c.status == 304 {
					// RFC 9110, 15.4.5: a 304 carries the Vary its 200 would.
					if diff := cmp.Diff(chainVary(full.header), chainVary(res.header)); diff != "" {
						t.Errorf("%s: Vary %q, the 200 had %q", c.name, res.header.Values("Vary"), full.header.Values("Vary"))
					}
				}
				if c.method == "HEAD" {
					if n := chainVary(res.header)["Accept-Encoding"]; n != 1 {
						t.Errorf("%s: Vary %q, want Accept-Encoding once", c.name, res.header.Values("Vary"))
					}
					if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
						t.Errorf("%s: Content-Type %q", c.name, ct)
					}
				}
			}
			lines := e.finish(t)
			if len(lines) != len(cases)+1 {
				t.Fatalf("%d log lines, want %d: %+v", len(lines), len(cases)+1, lines)
			}
			for i, c := range cases {
				line := lines[i+1]
				if line.Path != c.path || line.Method != c.method || line.Status != c.status || line.Bytes != 0 {
					t.Errorf("%s: log line %s %s %d, %d bytes; want %s %s %d, 0 bytes",
						c.name, line.Method, line.Path, line.Status, line.Bytes, c.method, c.path, c.status)
				}
			}
		})
	}
}

func TestChainLargeJSONIsCompressedAndTheLogCountsTheWireBytes(t *testing.T) {
	big := chainBig()
	want, err := json.Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 64<<10 {
		t.Fatalf("document of %d bytes, want at least 64 KiB", len(want))
	}
	for _, tc := range chainTimeouts {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("GET /big", micro.Handler(func(r *http.Request) (any, error) { return big, nil }))
			e := chainStart(t, tc.d, mux)
			res := e.do(t, e.req(t, "GET", "/big", nil, "Accept-Encoding", "gzip", "Origin", chainOrigin))
			if res.status != 200 || res.header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("status %d, Content-Encoding %q; want 200 gzip", res.status, res.header.Get("Content-Encoding"))
			}
			if got := res.body(t); !bytes.Equal(bytes.TrimSpace(got), want) {
				t.Errorf("decompressed body differs from the document: %d bytes, want %d", len(got), len(want))
			}
			if len(res.raw) >= len(want)/2 {
				t.Errorf("%d bytes on the wire for a %d-byte document", len(res.raw), len(want))
			}
			if res.header.Get("Content-Length") != "" {
				t.Errorf("Content-Length %q on a gzip response", res.header.Get("Content-Length"))
			}
			if diff := cmp.Diff(map[string]int{"Origin": 1, "Accept-Encoding": 1}, chainVary(res.header)); diff != "" {
				t.Errorf("Vary %q (-want +got):\n%s", res.header.Values("Vary"), diff)
			}
			chainCORSOK(t, res.header)
			line := chainOnly(t, e.finish(t), "/big")
			if line.Status != 200 || line.Bytes != int64(len(res.raw)) {
				t.Errorf("logged status %d, bytes %d; want 200, %d (the compressed bytes)", line.Status, line.Bytes, len(res.raw))
			}
		})
	}
}

func TestChainPreflightIsAnsweredBeforeTheRouteAndLoggedOnce(t *testing.T) {
	var reached atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = io.WriteString(w, "route")
	})
	e := chainStart(t, time.Minute, mux)
	res := e.do(t, e.req(t, "OPTIONS", "/api", nil,
		"Origin", chainOrigin, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "cors",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type,x-request-id"))
	if res.status != 204 || len(res.raw) != 0 {
		t.Fatalf("preflight: %d %q, want 204 and no body", res.status, res.raw)
	}
	if reached.Load() != 0 {
		t.Errorf("the preflight reached the route")
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":      chainOrigin,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, HEAD, POST, PUT, DELETE",
		"Access-Control-Allow-Headers":     "Content-Type, X-Request-Id",
		"Access-Control-Max-Age":           "3600",
	} {
		if got := res.header.Get(k); !strings.EqualFold(got, v) {
			t.Errorf("%s %q, want %q", k, got, v)
		}
	}
	if res.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-ID on the preflight")
	}
	line := chainOnly(t, e.finish(t), "/api")
	if line.Method != "OPTIONS" || line.Status != 204 || line.Level != "INFO" || line.Bytes != 0 {
		t.Errorf("log line %+v, want INFO OPTIONS 204, 0 bytes", line)
	}
}

func TestChainCrossOriginWritesPassOnlyFromTheAllowedOrigin(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("PUT /api", micro.Handler(func(r *http.Request) (any, error) { return "done", nil }))
	e := chainStart(t, time.Minute, mux)
	res := e.do(t, e.req(t, "PUT", "/api", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"))
	if res.status != 403 {
		t.Fatalf("cross-site PUT from another origin: %d, want 403", res.status)
	}
	if p := res.problem(t); p.Detail != "Cross-origin request refused" {
		t.Errorf("detail %q", p.Detail)
	}
	if res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS headers for a refused origin")
	}
	res = e.do(t, e.req(t, "PUT", "/api", nil, "Origin", chainOrigin, "Sec-Fetch-Site", "cross-site"))
	if res.status != 200 || string(res.raw) != "done" {
		t.Errorf("cross-site PUT from the allowed origin: %d %q", res.status, res.raw)
	}
	chainCORSOK(t, res.header)
	lines := e.finish(t)
	if len(lines) != 2 || lines[0].Status != 403 || lines[0].Level != "WARN" || lines[1].Status != 200 {
		t.Errorf("log lines %+v, want WARN 403 then 200", lines)
	}
}

func TestChainBodyOverTheLimitIs413WithCORSHeaders(t *testing.T) {
	type comment struct {
		Text string `json:"text"`
	}
	doc := []byte(`{"text":"` + strings.Repeat("a", 2*chainBodyLimit) + `"}`)
	for _, tc := range chainTimeouts {
		for _, chunked := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/chunked=%v", tc.name, chunked), func(t *testing.T) {
				read := make(chan error, 1)
				mux := http.NewServeMux()
				mux.Handle("POST /comments", micro.Handler(func(r *http.Request) (any, error) {
					_, err := micro.JSON[comment](r)
					read <- err
					if err != nil {
						return nil, err
					}
					return "accepted", nil
				}))
				e := chainStart(t, tc.d, mux)
				var body io.Reader = bytes.NewReader(doc)
				if chunked {
					body = io.MultiReader(body) // no length: sent chunked
				}
				r := e.req(t, "POST", "/comments", body,
					"Content-Type", "application/json", "Origin", chainOrigin, "Sec-Fetch-Site", "cross-site")
				if chunked && r.ContentLength != 0 {
					t.Fatalf("ContentLength %d: not chunked", r.ContentLength)
				}
				res := e.do(t, r)
				if res.status != 413 {
					t.Fatalf("status %d, want 413; body %q", res.status, res.raw)
				}
				want := testkit.ProblemBody{Type: "about:blank", Title: "Request Entity Too Large", Status: 413,
					Detail: fmt.Sprintf("Body exceeded %d byte limit", chainBodyLimit)}
				if diff := cmp.Diff(want, res.problem(t)); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
				chainCORSOK(t, res.header)
				line := chainOnly(t, e.finish(t), "/comments")
				if line.Status != 413 || line.Level != "WARN" {
					t.Errorf("log line %+v, want WARN 413", line)
				}
				if chunked {
					if err := <-read; err == nil {
						t.Error("micro.JSON read the whole body")
					}
				} else if len(read) != 0 {
					t.Error("a declared over-limit body reached the route")
				}
			})
		}
	}
}

func TestChainConcurrentRequestsLogTheirOwnRequestID(t *testing.T) {
	const workers, perWorker = 20, 10
	mux := http.NewServeMux()
	mux.Handle("GET /json/{n}", micro.Handler(func(r *http.Request) (any, error) {
		v, _ := middleware.CookieValue(r, "session")
		return map[string]string{"id": middleware.RequestIDFrom(r), "session": v, "n": r.PathValue("n")}, nil
	}))
	mux.Handle("GET /big/{n}", micro.Handler(func(r *http.Request) (any, error) { return chainBig(), nil }))
	mux.Handle("GET /fail/{n}", micro.Handler(func(r *http.Request) (any, error) {
		return nil, errors.New("failed " + r.PathValue("n"))
	}))
	mux.HandleFunc("GET /panic/{n}", func(w http.ResponseWriter, r *http.Request) { panic("panic " + r.PathValue("n")) })
	mux.Handle("POST /post/{n}", micro.Handler(func(r *http.Request) (any, error) {
		v, err := micro.JSON[map[string]string](r)
		if err != nil {
			return nil, err
		}
		return v, nil
	}))
	e := chainStart(t, time.Minute, mux)

	type outcome struct {
		path, id string
		status   int
	}
	results := make(chan outcome, workers*perWorker)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				n := g*perWorker + i
				var r *http.Request
				var err error
				switch n % 6 {
				case 0:
					r, err = http.NewRequest("GET", fmt.Sprintf("%s/json/%d", e.srv.URL, n), nil)
				case 1:
					r, err = http.NewRequest("GET", fmt.Sprintf("%s/big/%d", e.srv.URL, n), nil)
				case 2:
					r, err = http.NewRequest("GET", fmt.Sprintf("%s/fail/%d", e.srv.URL, n), nil)
				case 3:
					r, err = http.NewRequest("GET", fmt.Sprintf("%s/panic/%d", e.srv.URL, n), nil)
				case 4:
					r, err = http.NewRequest("POST", fmt.Sprintf("%s/post/%d", e.srv.URL, n), strings.NewReader(fmt.Sprintf(`{"n":"%d"}`, n)))
				case 5:
					r, err = http.NewRequest("OPTIONS", fmt.Sprintf("%s/json/%d", e.srv.URL, n), nil)
					r.Header.Set("Access-Control-Request-Method", "GET")
				}
				if err != nil {
					t.Error(err)
					return
				}
				r.Header.Set("Origin", chainOrigin)
				r.Header.Set("Accept-Encoding", "gzip")
				r.Header.Set("Cookie", fmt.Sprintf("session=s%d", n))
				if n%2 == 0 {
					r.Header.Set("X-Request-Id", fmt.Sprintf("client-%d", n))
				}
				res, err := e.client.Do(r)
				if err != nil {
					t.Error(err)
					return
				}
				raw, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil {
					t.Error(err)
					return
				}
				id := res.Header.Get("X-Request-Id")
				if n%2 == 0 && id != fmt.Sprintf("client-%d", n) {
					t.Errorf("request %d: X-Request-ID %q, want the client's", n, id)
				}
				if n%6 == 0 {
					var got map[string]string
					b, err := chainRes{res.StatusCode, res.Header, raw}.decoded()
					if err == nil {
						err = json.Unmarshal(b, &got)
					}
					if err != nil {
						t.Errorf("request %d: %v", n, err)
					} else if want := map[string]string{"id": id, "session": fmt.Sprintf("s%d", n), "n": fmt.Sprint(n)}; !cmp.Equal(want, got) {
						t.Errorf("request %d: the route saw %v, want %v", n, got, want)
					}
				}
				results <- outcome{r.URL.Path, id, res.StatusCode}
			}
		}()
	}
	wg.Wait()
	close(results)
	lines := e.finish(t)
	byPath := map[string][]chainLine{}
	for _, l := range lines {
		byPath[l.Path] = append(byPath[l.Path], l)
	}
	if len(lines) != workers*perWorker {
		t.Errorf("%d log lines for %d requests", len(lines), workers*perWorker)
	}
	wantStatus := map[string]int{"json": 200, "big": 200, "fail": 500, "panic": 500, "post": 200}
	for o := range results {
		ls := byPath[o.path]
		if len(ls) != 1 {
			t.Errorf("%s: %d log lines", o.path, len(ls))
			continue
		}
		if ls[0].RequestID != o.id || ls[0].Status != o.status || o.id == "" {
			t.Errorf("%s: logged request_id %q status %d, response %q %d", o.path, ls[0].RequestID, ls[0].Status, o.id, o.status)
		}
		kind := strings.Split(o.path, "/")[1]
		if ls[0].Method == "OPTIONS" {
			kind = "preflight"
			wantStatus[kind] = 204
		}
		if o.status != wantStatus[kind] {
			t.Errorf("%s %s: status %d, want %d", ls[0].Method, o.path, o.status, wantStatus[kind])
		}
	}
}
