package micro_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// streamTGet serves h, behind middleware.ErrorLogger writing to log when not
// nil, with testkit.Fetch.
func streamTGet(t *testing.T, h http.Handler, log *testkit.Log, method string, header ...string) testkit.Response {
	t.Helper()
	if log != nil {
		h = middleware.ErrorLogger(log.JSONLogger(slog.LevelInfo))(h)
	}
	return testkit.Fetch(t, h, method, header...)
}

// streamTCount is the sequence 1, 2, … n.
func streamTCount(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 1; i <= n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

// streamTTick is the item of the tests' streams.
type streamTTick struct {
	Tick int `json:"tick"`
}

func TestStreamRoutesSendItemsInOrder(t *testing.T) {
	routes := map[string]micro.Handler{
		"Stream": func(r *http.Request) (any, error) {
			return micro.Stream(func(yield func(streamTTick) bool) {
				for i := range streamTCount(3) {
					if !yield(streamTTick{i}) {
						return
					}
				}
			}), nil
		},
		"Stream2": func(r *http.Request) (any, error) {
			return micro.Stream2(func(yield func(streamTTick, error) bool) {
				for i := range streamTCount(3) {
					if !yield(streamTTick{i}, nil) {
						return
					}
				}
			}), nil
		},
		"StreamChan": func(r *http.Request) (any, error) {
			ch := make(chan streamTTick)
			go func() {
				defer close(ch)
				for i := range streamTCount(3) {
					select {
					case ch <- streamTTick{i}:
					case <-r.Context().Done():
						return
					}
				}
			}()
			return micro.StreamChan(ch), nil
		},
	}
	for name, route := range routes {
		for _, tc := range []struct{ accept, ctype, body string }{
			{"", "application/x-ndjson", "{\"tick\":1}\n{\"tick\":2}\n{\"tick\":3}\n"},
			{"text/event-stream", "text/event-stream", "data: {\"tick\":1}\n\ndata: {\"tick\":2}\n\ndata: {\"tick\":3}\n\n"},
		} {
			t.Run(name+" "+tc.ctype, func(t *testing.T) {
				got := streamTGet(t, route, nil, "GET", "Accept", tc.accept)
				want := testkit.Response{Status: 200, Body: tc.body}
				if diff := gocmp.Diff(want, got, gocmp.FilterPath(func(p gocmp.Path) bool { return p.Last().String() == ".Header" }, gocmp.Ignore())); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
				if ct, cc := got.Header.Get("Content-Type"), got.Header.Get("Cache-Control"); ct != tc.ctype || cc != "no-cache" {
					t.Errorf("Content-Type %q, Cache-Control %q; want %q, no-cache", ct, cc, tc.ctype)
				}
			})
		}
	}
}

func TestStreamResponses(t *testing.T) {
	var calls atomic.Int32
	seq := func(yield func(int) bool) {
		calls.Add(1)
		for i := range streamTCount(2) {
			if !yield(i) {
				return
			}
		}
	}
	tests := []struct {
		name   string
		method string
		v      any
		status int
		body   string
		calls  int32
		vary   []string
	}{
		{"a Response keeps its 201 and adds to its Vary", "GET",
			&micro.Response{Status: 201, Header: http.Header{"Vary": {"Origin"}}, Body: micro.Stream(seq)},
			201, "1\n2\n", 1, []string{"Origin", "Accept"}},
		{"a Response with 204 sends no body and does not run the sequence", "GET",
			&micro.Response{Status: 204, Body: micro.Stream(seq)}, 204, "", 0, nil},
		{"HEAD gets the stream's header and does not run the sequence", "HEAD",
			micro.Stream(seq), 200, "", 0, []string{"Accept"}},
		{"an empty sequence is a 200 with no body", "GET",
			micro.Stream(streamTCount(0)), 200, "", 0, []string{"Accept"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls.Store(0)
			h := micro.Handler(func(*http.Request) (any, error) { return tc.v, nil })
			got := streamTGet(t, h, nil, tc.method)
			if got.Status != tc.status || got.Body != tc.body || calls.Load() != tc.calls {
				t.Errorf("got %d %q after %d calls, want %d %q after %d",
					got.Status, got.Body, calls.Load(), tc.status, tc.body, tc.calls)
			}
			if tc.vary != nil && !gocmp.Equal(got.Header["Vary"], tc.vary) {
				t.Errorf("Vary %q, want %q", got.Header["Vary"], tc.vary)
			}
		})
	}
}

// streamTResumable is a route streaming events 1 to 5 with their number as
// ID, resuming after the client's Last-Event-ID, and answering 204 when
// nothing is left, which makes an EventSource stop reconnecting.
var streamTResumable = micro.Handler(func(r *http.Request) (any, error) {
	after := 0
	if id := micro.LastEventID(r); id != "" {
		n, err := strconv.Atoi(id)
		if err != nil || n < 0 {
			return nil, micro.Errorf(http.StatusBadRequest, "bad Last-Event-ID %q", id)
		}
		after = n
	}
	if after >= 5 {
		return nil, nil
	}
	return micro.Stream(func(yield func(micro.Event) bool) {
		for i := after + 1; i <= 5; i++ {
			if !yield(micro.Event{ID: strconv.Itoa(i), Data: streamTTick{i}}) {
				return
			}
		}
	}), nil
})

func TestStreamResumesAfterLastEventID(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		status int
		ids    []string
	}{
		{"a first connection gets every event", nil, 200, []string{"1", "2", "3", "4", "5"}},
		{"a reconnection resumes after its Last-Event-ID", []string{"Last-Event-ID", "3"}, 200, []string{"4", "5"}},
		{"nothing left is 204, which stops EventSource", []string{"Last-Event-ID", "5"}, 204, nil},
		{"the header name is case-insensitive", []string{"last-event-id", "4"}, 200, []string{"5"}},
		{"a bad Last-Event-ID is the route's 400", []string{"Last-Event-ID", "x"}, 400, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := streamTGet(t, streamTResumable, nil, "GET", append([]string{"Accept", "text/event-stream"}, tc.header...)...)
			var ids []string
			for _, line := range strings.Split(got.Body, "\n") {
				if id, ok := strings.CutPrefix(line, "id: "); ok {
					ids = append(ids, id)
				}
			}
			if got.Status != tc.status || !gocmp.Equal(ids, tc.ids) {
				t.Errorf("got %d with ids %q, want %d with %q; body %q", got.Status, ids, tc.status, tc.ids, got.Body)
			}
		})
	}
}

// TestStreamResumeLikeEventSource plays an EventSource: it reads two events,
// drops the connection, reconnects with the last ID it saw and gets the
// rest, then reconnects again and is told with a 204 to stop.
func TestStreamResumeLikeEventSource(t *testing.T) {
	srv := httptest.NewServer(streamTResumable)
	defer srv.Close()
	var seen []string
	lastID := ""
	for attempt := 0; attempt < 3; attempt++ {
		ctx, cancel := context.WithCancel(t.Context())
		r, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		r.Header.Set("Accept", "text/event-stream")
		if lastID != "" {
			r.Header.Set("Last-Event-ID", lastID)
		}
		res, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode == http.StatusNoContent {
			cancel()
			res.Body.Close()
			break
		}
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				lastID = id
			}
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				seen = append(seen, lastID+"="+d)
				if attempt == 0 && len(seen) == 2 {
					break // the connection drops
				}
			}
		}
		cancel()
		res.Body.Close()
	}
	want := []string{`1={"tick":1}`, `2={"tick":2}`, `3={"tick":3}`, `4={"tick":4}`, `5={"tick":5}`}
	if diff := gocmp.Diff(want, seen); diff != "" {
		t.Errorf("events across reconnections (-want +got):\n%s", diff)
	}
}

func TestLastEventIDIsEmptyOnAFirstConnection(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if id := micro.LastEventID(r); id != "" {
		t.Errorf("LastEventID = %q, want \"\"", id)
	}
	r.Header.Set("Last-Event-ID", "42")
	if id := micro.LastEventID(r); id != "42" {
		t.Errorf("LastEventID = %q, want 42", id)
	}
}

// TestStream2Errors checks errors from a Stream2 sequence: before the first
// item an ordinary problem response, after it a last error item; the
// sequence is not read past its first error, unclassified causes are logged
// once without their text on the wire, public 4xx not logged.
func TestStream2Errors(t *testing.T) {
	const (
		problem404 = `{"type":"about:blank","title":"Not Found","status":404,"detail":"no feed 7"}`
		problem500 = `{"type":"about:blank","title":"Internal Server Error","status":500}`
	)
	tests := []struct {
		name     string
		before   bool
		err      error
		accept   string
		status   int
		body     string
		loggedAs string // the cause's text in the log line; "" for no line
	}{
		{"a public error before the first item is its problem", true, micro.Errorf(404, "no feed %d", 7), "text/event-stream",
			404, problem404, ""},
		{"an unclassified error before the first item is a 500 without its text", true, errors.New("secret dsn"), "",
			500, problem500, "secret dsn"},
		{"a public error after an item is an error event", false, micro.Errorf(404, "no feed %d", 7), "text/event-stream",
			200, "data: 1\n\nevent: error\ndata: " + problem404 + "\n\n", ""},
		{"a public error after an item is an NDJSON error line", false, micro.Errorf(404, "no feed %d", 7), "",
			200, "1\n{\"error\":" + problem404 + "}\n", ""},
		{"an unclassified error after an item is a 500 error event", false, fmt.Errorf("query: %w", errors.New("secret dsn")), "text/event-stream",
			200, "data: 1\n\nevent: error\ndata: " + problem500 + "\n\n", "secret dsn"},
		{"an unclassified error after an item is a 500 NDJSON error line", false, errors.New("secret dsn"), "",
			200, "1\n{\"error\":" + problem500 + "}\n", "secret dsn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var afterErr atomic.Bool // the sequence's yield returned true after the error
			h := micro.Handler(func(*http.Request) (any, error) {
				return micro.Stream2(func(yield func(int, error) bool) {
					if !tc.before && !yield(1, nil) {
						return
					}
					if yield(0, tc.err) {
						afterErr.Store(true)
						yield(2, nil)
					}
				}), nil
			})
			var log testkit.Log
			got := streamTGet(t, h, &log, "GET", "Accept", tc.accept)
			if got.Status != tc.status || got.Body != tc.body {
				t.Errorf("got %d %q\nwant %d %q", got.Status, got.Body, tc.status, tc.body)
			}
			if afterErr.Load() {
				t.Error("the sequence was read past its first error")
			}
			logs := log.String()
			switch n := strings.Count(logs, "\n"); {
			case tc.loggedAs == "" && n != 0:
				t.Errorf("a public 4xx was logged: %s", logs)
			case tc.loggedAs != "" && (n != 1 || !strings.Contains(logs, tc.loggedAs)):
				t.Errorf("log %q, want one line with %q", logs, tc.loggedAs)
			}
		})
	}
}

// TestStreamClientGoingAwayStopsTheProducer reads three items of an endless
// stream, drops the connection, and checks that the producer stops (yield
// returns false, or the channel's sender sees the request's context done)
// and that no goroutine is left behind.
func TestStreamClientGoingAwayStopsTheProducer(t *testing.T) {
	type route func(r *http.Request, stopped chan<- struct{}) any
	routes := map[string]route{
		"Stream": func(r *http.Request, stopped chan<- struct{}) any {
			return micro.Stream(func(yield func(int) bool) {
				defer close(stopped)
				for i := 1; yield(i); i++ {
				}
			})
		},
		"Stream2": func(r *http.Request, stopped chan<- struct{}) any {
			return micro.Stream2(func(yield func(int, error) bool) {
				defer close(stopped)
				for i := 1; yield(i, nil); i++ {
				}
			})
		},
		"StreamChan": func(r *http.Request, stopped chan<- struct{}) any {
			ch := make(chan int)
			go func() {
				defer close(stopped)
				defer close(ch)
				for i := 1; ; i++ {
					select {
					case ch <- i:
					case <-r.Context().Done():
						return
					}
				}
			}()
			return micro.StreamChan(ch)
		},
		"StreamChan idle": func(r *http.Request, stopped chan<- struct{}) any {
			// Three items, then nothing: the client leaves while the
			// producer waits, not while it writes.
			ch := make(chan int)
			go func() {
				defer close(stopped)
				defer close(ch)
				for i := 1; i <= 3; i++ {
					ch <- i
				}
				<-r.Context().Done()
			}()
			return micro.StreamChan(ch)
		},
		"StreamChan never closed": func(r *http.Request, stopped chan<- struct{}) any {
			// Three items and no sender left: StreamChan itself must
			// notice the client leaving.
			ch := make(chan int, 3)
			ch <- 1
			ch <- 2
			ch <- 3
			close(stopped)
			return micro.StreamChan(ch)
		},
	}
	for name, rt := range routes {
		for _, accept := range []string{"text/event-stream", "application/x-ndjson"} {
			t.Run(name+" "+accept, func(t *testing.T) {
				base := runtime.NumGoroutine()
				stopped := make(chan struct{})
				returned := make(chan struct{})
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					defer close(returned)
					micro.Handler(func(r *http.Request) (any, error) { return rt(r, stopped), nil }).ServeHTTP(w, r)
				}))
				ctx, cancel := context.WithCancel(t.Context())
				r, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
				r.Header.Set("Accept", accept)
				res, err := srv.Client().Do(r)
				if err != nil {
					t.Fatal(err)
				}
				br := bufio.NewReader(res.Body)
				for want := 1; want <= 3; want++ {
					line, err := br.ReadString('\n')
					if err != nil {
						t.Fatal(err)
					}
					if line == "\n" {
						want--
						continue
					}
					line = strings.TrimPrefix(strings.TrimSpace(line), "data: ")
					if line != strconv.Itoa(want) {
						t.Fatalf("item %q, want %d", line, want)
					}
				}
				cancel()
				res.Body.Close()
				testkit.WaitClosed(t, stopped, testkit.Patience, "the producer")
				testkit.WaitClosed(t, returned, testkit.Patience, "the handler")
				srv.Close()
				testkit.WaitGoroutines(t, base, testkit.Patience)
			})
		}
	}
}

// streamTSmallBuffers is a listener whose connections have small send
// buffers, so that the bytes in flight are bounded by what the test sets
// rather than by the kernel's autotuning.
type streamTSmallBuffers struct{ net.Listener }

func (l streamTSmallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(32 << 10)
	}
	return c, err
}

// streamTPadded is an item of about 1 KiB.
type streamTPadded struct {
	Tick int    `json:"tick"`
	Pad  string `json:"pad"`
}

// TestStreamSlowClientPacesTheProducer has a client that reads nothing while
// the producer tries to send 100,000 items of 1 KiB: the producer must block
// in yield after a number of items bounded by the socket buffers, then the
// client reads everything and every item arrives, in order.
func TestStreamSlowClientPacesTheProducer(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 100 MB through loopback")
	}
	const total = 100_000
	pad := strings.Repeat("x", 1000)
	var produced atomic.Int64 // items handed to yield
	var inYield atomic.Bool   // the producer is inside yield
	h := micro.Handler(func(*http.Request) (any, error) {
		return micro.Stream(func(yield func(streamTPadded) bool) {
			for i := 1; i <= total; i++ {
				produced.Store(int64(i))
				inYield.Store(true)
				ok := yield(streamTPadded{i, pad})
				inYield.Store(false)
				if !ok {
					return
				}
			}
		}), nil
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = streamTSmallBuffers{srv.Listener}
	srv.Start()
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.(*net.TCPConn).SetReadBuffer(32 << 10); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}

	// Read nothing until the producer has been stuck inside yield, on the
	// same item, for 50 polls in a row.
	var last int64
	for stable, polls := 0, 0; stable < 50; polls++ {
		if polls > 3000 {
			t.Fatalf("the producer never blocked: %d items produced", produced.Load())
		}
		time.Sleep(10 * time.Millisecond)
		n := produced.Load()
		if n == last && inYield.Load() && n < total {
			stable++
		} else {
			stable, last = 0, n
		}
	}
	t.Logf("a client that reads nothing: the producer blocked after %d items of 1 KiB", last)
	if last >= 20_000 {
		t.Fatalf("%d items produced for a client that reads nothing, want a bound set by the socket buffers", last)
	}

	res, err := http.ReadResponse(bufio.NewReaderSize(conn, 64<<10), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 4<<10), 4<<10)
	want := 1
	for ; sc.Scan(); want++ {
		line := sc.Bytes()
		prefix := `{"tick":` + strconv.Itoa(want) + `,"pad":"`
		if !bytes.HasPrefix(line, []byte(prefix)) || len(line) != len(prefix)+len(pad)+2 {
			t.Fatalf("line %d is %.40q…, want %s…", want, line, prefix)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if want-1 != total {
		t.Errorf("%d items arrived, want %d", want-1, total)
	}
}

// TestStreamItemsAreValidJSONLines checks, over a real connection, that
// NDJSON items with awkward content are one valid JSON value per line.
func TestStreamItemsAreValidJSONLines(t *testing.T) {
	items := []any{"a\nb", "\u2028\u2029", map[string]string{"<": ">"}, json.RawMessage("[1,\n2]"), 1.5, false}
	h := micro.Handler(func(*http.Request) (any, error) {
		return micro.Stream(func(yield func(any) bool) {
			for _, it := range items {
				if !yield(it) {
					return
				}
			}
		}), nil
	})
	got := streamTGet(t, h, nil, "GET")
	lines := strings.Split(strings.TrimSuffix(got.Body, "\n"), "\n")
	if len(lines) != len(items) {
		t.Fatalf("%d lines, want %d: %q", len(lines), len(items), got.Body)
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("line %d %q is not JSON", i, l)
		}
	}
}

// The streaming benchmarks, each beside the hand-written handler people
// write (set the headers, json.Marshal, fmt.Fprintf, Flush):
//
//	go test -run '^$' -bench StreamThroughput -benchmem -count 8 . | tee t.txt
//	benchstat -col /impl t.txt
//	go test -run '^$' -bench StreamIdleConnections -benchtime 1x .
//
// StreamIdleConnections opens STREAMB_CONNS (default 10,000) connections to
// a server in a child process (this test binary again, running
// TestStreamBHelperServer), because client and server together need more
// file descriptors than one process may have.

// streamBTick is the item both throughput handlers stream.
type streamBTick struct {
	Tick int    `json:"tick"`
	At   string `json:"at"`
}

// streamBAt is the fixed "at" of every tick, so the benchmark measures the
// stream and not time.Now and its formatting.
const streamBAt = "2026-11-24T10:00:00.000Z"

// streamBN reads the item count from the query; a bad one is 0 items.
func streamBN(r *http.Request) int {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	return n
}

// streamBMicro is the micro route: a handler returning micro.Stream of an
// iterator over n ticks. The format follows the Accept header.
func streamBMicro() http.Handler {
	return micro.Handler(func(r *http.Request) (any, error) {
		n := streamBN(r)
		return micro.Stream(func(yield func(streamBTick) bool) {
			for i := 1; i <= n; i++ {
				if !yield(streamBTick{Tick: i, At: streamBAt}) {
					return
				}
			}
		}), nil
	})
}

// streamBNetHTTP is the hand-written baseline for one format: headers,
// then per item json.Marshal, one formatted write and a flush, stopping
// when the client goes away.
func streamBNetHTTP(sse bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flusher, ok := w.(http.Flusher)
		if !ok {
			http.Error(w, "streaming unsupported", http.StatusInternalServerError)
			return
		}
		if sse {
			w.Header().Set("Content-Type", "text/event-stream")
		} else {
			w.Header().Set("Content-Type", "application/x-ndjson")
		}
		w.Header().Set("Cache-Control", "no-cache")
		n := streamBN(r)
		for i := 1; i <= n; i++ {
			if r.Context().Err() != nil {
				return
			}
			b, err := json.Marshal(streamBTick{Tick: i, At: streamBAt})
			if err != nil {
				return
			}
			if sse {
				_, err = fmt.Fprintf(w, "data: %s\n\n", b)
			} else {
				_, err = fmt.Fprintf(w, "%s\n", b)
			}
			if err != nil {
				return
			}
			flusher.Flush()
		}
	})
}

// streamBFormats are the two wire formats: the Accept header the client
// sends, and the prefix of a line that carries an item.
var streamBFormats = []struct {
	name, accept, prefix string
	sse                  bool
}{
	{"format=sse", "text/event-stream", "data: ", true},
	{"format=ndjson", "application/x-ndjson", "{", false},
}

// streamBServer serves the micro route at /micro and the baselines at
// /nethttp/sse and /nethttp/ndjson on a real 127.0.0.1 listener.
func streamBServer(tb testing.TB) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /micro", streamBMicro())
	mux.Handle("GET /nethttp/sse", streamBNetHTTP(true))
	mux.Handle("GET /nethttp/ndjson", streamBNetHTTP(false))
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// streamBGet requests n items from url with the Accept header of the
// format; the caller closes the body.
func streamBGet(tb testing.TB, c *http.Client, url, accept string, n int) *http.Response {
	tb.Helper()
	req, err := http.NewRequest("GET", url+"?n="+strconv.Itoa(n), nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		tb.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	return resp
}

// TestStreamBBaselinesMatchMicro checks that each baseline sends the same
// body and Content-Type as micro, so the throughput benchmark compares the
// same bytes on the wire.
func TestStreamBBaselinesMatchMicro(t *testing.T) {
	srv := streamBServer(t)
	read := func(path, accept string) (string, string) {
		resp := streamBGet(t, srv.Client(), srv.URL+path, accept, 3)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Header.Get("Content-Type"), string(body)
	}
	for _, f := range streamBFormats {
		t.Run(f.name, func(t *testing.T) {
			microType, microBody := read("/micro", f.accept)
			baseType, baseBody := read("/nethttp/"+strings.TrimPrefix(f.name, "format="), f.accept)
			if microType != baseType {
				t.Errorf("Content-Type: micro %q, baseline %q", microType, baseType)
			}
			if diff := gocmp.Diff(baseBody, microBody); diff != "" {
				t.Errorf("body (-baseline +micro):\n%s", diff)
			}
			if got := strings.Count(microBody, "\n"+f.prefix) + 1; !strings.HasPrefix(microBody, f.prefix) || got != 3 {
				t.Errorf("body %q: want 3 items", microBody)
			}
		})
	}
}

// BenchmarkStreamThroughput streams b.N ticks through one request on one
// connection; an op is one item, read and counted by the client.
func BenchmarkStreamThroughput(b *testing.B) {
	srv := streamBServer(b)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	b.Cleanup(client.CloseIdleConnections)
	for _, f := range streamBFormats {
		b.Run(f.name, func(b *testing.B) {
			for _, impl := range []struct{ name, path string }{
				{"impl=micro", "/micro"},
				{"impl=nethttp", "/nethttp/" + strings.TrimPrefix(f.name, "format=")},
			} {
				b.Run(impl.name, func(b *testing.B) {
					b.ReportAllocs()
					b.ResetTimer()
					resp := streamBGet(b, client, srv.URL+impl.path, f.accept, b.N)
					defer resp.Body.Close()
					n, err := streamBCount(resp.Body, []byte(f.prefix))
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					if n != b.N {
						b.Fatalf("read %d items, want %d", n, b.N)
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
				})
			}
		})
	}
}

// BenchmarkStreamItems is BenchmarkStreamThroughput without the
// connection: the handler's own CPU per item, framing and flushing into a
// writer that keeps nothing. Over a real connection the write system call
// of each flush costs several times more.
func BenchmarkStreamItems(b *testing.B) {
	for _, f := range streamBFormats {
		b.Run(f.name, func(b *testing.B) {
			for _, impl := range []struct {
				name string
				h    http.Handler
			}{
				{"impl=micro", streamBMicro()},
				{"impl=nethttp", streamBNetHTTP(f.sse)},
			} {
				b.Run(impl.name, func(b *testing.B) {
					r := httptest.NewRequest("GET", "/?n="+strconv.Itoa(b.N), nil)
					r.Header.Set("Accept", f.accept)
					w := &testkit.Discard{}
					b.ReportAllocs()
					b.ResetTimer()
					impl.h.ServeHTTP(w, r)
					b.StopTimer()
					if w.Flushes < b.N || w.Bytes < b.N*len(`{"tick":1}`) {
						b.Fatalf("%d flushes, %d bytes for %d items", w.Flushes, w.Bytes, b.N)
					}
				})
			}
		})
	}
}

// streamBCount counts the lines of body that start with prefix.
func streamBCount(body io.Reader, prefix []byte) (int, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		if bytes.HasPrefix(line, prefix) {
			n++
		}
		switch {
		case err == io.EOF:
			return n, nil
		case err != nil:
			return n, err
		}
	}
}

// Idle connections: a child process serves one SSE event per connection
// and then keeps it open; the benchmark opens the connections and asks the
// child for its memory before and after.

const (
	streamBHelperEnv = "STREAMB_HELPER" // the child's impl; absent outside the child
	streamBConnsEnv  = "STREAMB_CONNS"  // how many idle connections; default 10,000
	// A file the child writes its heap profile to, with the connections
	// open: go tool pprof -sample_index=inuse_space -top FILE.
	streamBProfileEnv = "STREAMB_HEAPPROFILE"

	streamBHelperLife = 2 * time.Minute  // the child exits by itself after this
	streamBRoundLimit = 50 * time.Second // one round must finish within this
	streamBWait       = 10 * time.Second // any single dial, read or request
)

// streamBMem is the child's memory, after runtime.GC.
type streamBMem struct {
	HeapInuse  uint64 `json:"heapInuse"`
	StackInuse uint64 `json:"stackInuse"`
	Goroutines int    `json:"goroutines"`
}

// streamBRaiseFDLimit raises the soft limit on open files to the hard one
// and returns it.
func streamBRaiseFDLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	return uint64(lim.Cur), nil
}

// streamBIdleHandler streams one event and then stays idle until the
// client goes away: micro with a heartbeat longer than the benchmark, or
// the hand-written baseline.
func streamBIdleHandler(impl string) (http.Handler, error) {
	switch impl {
	case "micro":
		return micro.Handler(func(r *http.Request) (any, error) {
			ctx := r.Context()
			s := micro.Stream(func(yield func(streamBTick) bool) {
				if yield(streamBTick{Tick: 1, At: streamBAt}) {
					<-ctx.Done()
				}
			})
			s.Heartbeat = time.Hour
			return s, nil
		}), nil
	case "nethttp":
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Cache-Control", "no-cache")
			b, _ := json.Marshal(streamBTick{Tick: 1, At: streamBAt})
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}), nil
	}
	return nil, fmt.Errorf("unknown impl %q", impl)
}

// TestStreamBHelperServer is the child process of
// BenchmarkStreamIdleConnections, not a test: it skips itself unless
// STREAMB_HELPER names the impl to serve. It serves the idle stream at
// /stream and its memory at /mem on 127.0.0.1, prints the address on
// stdout, and returns when stdin closes (the parent is done or gone) or
// after streamBHelperLife.
func TestStreamBHelperServer(t *testing.T) {
	impl := os.Getenv(streamBHelperEnv)
	if impl == "" {
		t.Skip("the child process of BenchmarkStreamIdleConnections")
	}
	if _, err := streamBRaiseFDLimit(); err != nil {
		t.Fatalf("raising the open file limit: %v", err)
	}
	stream, err := streamBIdleHandler(impl)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /stream", stream)
	mux.HandleFunc("GET /mem", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC() // twice: sync.Pool keeps its objects for one cycle
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(w).Encode(streamBMem{ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine()})
		if path := os.Getenv(streamBProfileEnv); path != "" {
			streamBWriteHeapProfile(t, path) // the last call wins: after the connections
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Printf("%s\n", ln.Addr())

	stdin := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stdin)
	}()
	select {
	case <-stdin:
	case <-time.After(streamBHelperLife):
	}
	ln.Close() // the connections go with the process; closing them all would be slow
}

// streamBWriteHeapProfile writes the heap profile to path.
func streamBWriteHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Error(err)
	}
}

// streamBChild is a running TestStreamBHelperServer.
type streamBChild struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	stderr *bytes.Buffer // read only after cmd.Wait
	addr   string
	client *http.Client
}

// streamBStart starts the child serving impl and waits for its address.
func streamBStart(impl string) (*streamBChild, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestStreamBHelperServer$")
	cmd.Env = append(os.Environ(), streamBHelperEnv+"="+impl)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &streamBChild{
		cmd: cmd, stdin: stdin, stderr: new(bytes.Buffer),
		client: &http.Client{Timeout: streamBWait, Transport: &http.Transport{DisableKeepAlives: true}},
	}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, stdout) // the test framework's PASS, if any
	}()
	select {
	case c.addr = <-line:
		if _, _, err := net.SplitHostPort(c.addr); err == nil {
			return c, nil
		}
		err = fmt.Errorf("child printed %q, not an address", c.addr)
	case <-time.After(streamBWait):
		err = errors.New("child printed no address in time")
	}
	return nil, fmt.Errorf("%w; %s", err, c.stop())
}

// stop ends the child and returns what it wrote on stderr.
func (c *streamBChild) stop() string {
	c.stdin.Close()
	done := make(chan struct{})
	go func() {
		c.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(streamBWait):
		c.cmd.Process.Kill()
		<-done
	}
	if s := strings.TrimSpace(c.stderr.String()); s != "" {
		return "child stderr: " + s
	}
	return "child stderr empty"
}

// mem asks the child for its memory.
func (c *streamBChild) mem() (streamBMem, error) {
	var m streamBMem
	resp, err := c.client.Get("http://" + c.addr + "/mem")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

// streamBOpen opens one SSE connection to addr and reads its first event;
// the connection is then left idle.
func streamBOpen(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: streamBWait}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // close with a reset: no TIME_WAIT holding the port
	}
	conn.SetDeadline(time.Now().Add(streamBWait))
	_, err = io.WriteString(conn, "GET /stream HTTP/1.1\r\nHost: "+addr+"\r\nAccept: text/event-stream\r\n\r\n")
	if err != nil {
		conn.Close()
		return nil, err
	}
	// The header, then the chunk of the event: wait for the end of its data.
	var buf [1024]byte
	n := 0
	for {
		m, err := conn.Read(buf[n:])
		n += m
		if i := bytes.Index(buf[:n], []byte("data: ")); i >= 0 && bytes.Contains(buf[i:n], []byte("\n\n")) {
			break
		}
		if err == nil && n == len(buf) {
			err = errors.New("no event in the first 1 KiB")
		}
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("reading the first event: %w", err)
		}
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// streamBOpenAll opens n idle connections to addr with a few dialers at a
// time; on the first error it closes those it opened and returns it.
func streamBOpenAll(ctx context.Context, addr string, n int) ([]net.Conn, error) {
	const dialers = 16
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu    sync.Mutex
		conns = make([]net.Conn, 0, n)
		next  int
		wg    sync.WaitGroup
	)
	for range dialers {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				conn, err := streamBOpen(ctx, addr)
				if err != nil {
					cancel(fmt.Errorf("connection %d of %d: %w", i+1, n, err))
					return
				}
				mu.Lock()
				conns = append(conns, conn)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		streamBCloseAll(conns)
		return nil, err
	}
	return conns, nil
}

func streamBCloseAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// streamBConns is the connection count from STREAMB_CONNS.
func streamBConns(b *testing.B) int {
	s := os.Getenv(streamBConnsEnv)
	if s == "" {
		return 10_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive count", streamBConnsEnv, s)
	}
	return n
}

// streamBRound opens n idle connections to a fresh child serving impl and
// returns the child's memory before and after, closing everything before it
// returns.
func streamBRound(impl string, n int) (before, after streamBMem, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), streamBRoundLimit)
	defer cancel()
	child, err := streamBStart(impl)
	if err != nil {
		return before, after, fmt.Errorf("starting the server process: %w", err)
	}
	defer func() {
		stderr := child.stop()
		if err != nil {
			err = fmt.Errorf("%w; %s", err, stderr)
		}
	}()
	if before, err = child.mem(); err != nil {
		return before, after, err
	}
	conns, err := streamBOpenAll(ctx, child.addr, n)
	if err != nil {
		return before, after, err
	}
	defer streamBCloseAll(conns)
	after, err = child.mem()
	return before, after, err
}

// BenchmarkStreamIdleConnections measures the server memory (heap and
// goroutine stacks in use, after GC) that each open, idle SSE connection
// holds: micro with a long heartbeat, and a hand-written handler waiting on
// the request's context. An op is one round of STREAMB_CONNS connections to
// a fresh child process; run it with -benchtime 1x.
func BenchmarkStreamIdleConnections(b *testing.B) {
	n := streamBConns(b)
	limit, err := streamBRaiseFDLimit()
	if err != nil {
		b.Fatalf("raising the open file limit: %v", err)
	}
	if need := uint64(n) + 100; limit < need {
		b.Fatalf("%d connections need about %d open files, the limit is %d: raise ulimit -n or lower %s",
			n, need, limit, streamBConnsEnv)
	}
	for _, impl := range []string{"micro", "nethttp"} {
		b.Run("impl="+impl, func(b *testing.B) {
			var heap, stack, goroutines float64
			for range b.N {
				before, after, err := streamBRound(impl, n)
				if err != nil {
					b.Fatalf("%d idle connections: %v", n, err)
				}
				heap += (float64(after.HeapInuse) - float64(before.HeapInuse)) / float64(n)
				stack += (float64(after.StackInuse) - float64(before.StackInuse)) / float64(n)
				goroutines += float64(after.Goroutines-before.Goroutines) / float64(n)
			}
			rounds := float64(b.N)
			b.ReportMetric((heap+stack)/rounds, "B/conn")
			b.ReportMetric(heap/rounds, "heapB/conn")
			b.ReportMetric(stack/rounds, "stackB/conn")
			b.ReportMetric(goroutines/rounds, "goroutines/conn")
		})
	}
}
