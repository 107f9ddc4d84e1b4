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
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
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
