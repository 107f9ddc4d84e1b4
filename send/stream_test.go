package send_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

// streamTProblem500 is the problem an unclassified error becomes.
const streamTProblem500 = `{"type":"about:blank","title":"Internal Server Error","status":500}`

// streamTStatusError is a public error with a status.
type streamTStatusError struct {
	status int
	msg    string
}

func (e streamTStatusError) Error() string   { return e.msg }
func (e streamTStatusError) StatusCode() int { return e.status }

// streamTBadJSON is an item whose MarshalJSON fails.
type streamTBadJSON struct{}

func (streamTBadJSON) MarshalJSON() ([]byte, error) { return nil, errors.New("streamTBadJSON") }

// streamTItems is a stream of items followed by err, when not nil.
func streamTItems(err error, items ...any) *send.Stream {
	return &send.Stream{Items: func(_ context.Context, yield func(any, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		if err != nil {
			yield(nil, err)
		}
	}}
}

// streamTLogged puts h behind middleware.ErrorLogger writing JSON lines to log.
func streamTLogged(log *testkit.Log, h http.Handler) http.Handler {
	return middleware.ErrorLogger(log.JSONLogger(slog.LevelInfo))(h)
}

// streamTFramingItems are items of every kind, in order.
var streamTFramingItems = []any{
	1,
	"two",
	map[string]int{"a": 1},
	nil,
	"<b>&</b>",
	"line\nbreak\r\n\ndata: injected",
	json.RawMessage("{\n  \"raw\": [1,\n 2]\n}"),
	send.Event{ID: "7", Event: "tick", Retry: 1500 * time.Millisecond, Data: map[string]int{"n": 5}},
	&send.Event{Data: 3},
	send.Event{ID: "8"},
	send.Event{Retry: 2*time.Second + 999*time.Microsecond, Data: true},
	send.Event{Retry: time.Nanosecond, Data: 0}, // under 1 ms: 1, never "retry: 0"
	send.Event{Event: "only-type", Data: []int{1, 2}},
}

// streamTSSE and streamTNDJSON are streamTFramingItems in each format.
const (
	streamTSSE = "data: 1\n\n" +
		"data: \"two\"\n\n" +
		"data: {\"a\":1}\n\n" +
		"data: null\n\n" +
		"data: \"<b>&</b>\"\n\n" +
		`data: "line\nbreak\r\n\ndata: injected"` + "\n\n" +
		"data: {\"raw\":[1,2]}\n\n" +
		"id: 7\nevent: tick\nretry: 1500\ndata: {\"n\":5}\n\n" +
		"data: 3\n\n" +
		"id: 8\ndata: null\n\n" +
		"retry: 2001\ndata: true\n\n" + // 2.000999 s, rounded up
		"retry: 1\ndata: 0\n\n" +
		"event: only-type\ndata: [1,2]\n\n"
	streamTNDJSON = "1\n" +
		"\"two\"\n" +
		"{\"a\":1}\n" +
		"null\n" +
		"\"<b>&</b>\"\n" +
		`"line\nbreak\r\n\ndata: injected"` + "\n" +
		"{\"raw\":[1,2]}\n" +
		"{\"n\":5}\n" +
		"3\n" +
		"null\n" +
		"true\n" +
		"0\n" +
		"[1,2]\n"
)

func TestStreamFramesItemsInOrderInTheAcceptedFormat(t *testing.T) {
	tests := []struct {
		name   string
		accept []string
		ctype  string
		body   string
	}{
		{"no Accept is NDJSON", nil, "application/x-ndjson", streamTNDJSON},
		{"*/* is NDJSON", []string{"*/*"}, "application/x-ndjson", streamTNDJSON},
		{"application/json is NDJSON", []string{"application/json"}, "application/x-ndjson", streamTNDJSON},
		{"text/event-stream;q=0 is NDJSON", []string{"text/event-stream;q=0, */*"}, "application/x-ndjson", streamTNDJSON},
		{"text/event-stream is SSE", []string{"text/event-stream"}, "text/event-stream", streamTSSE},
		{"the type in any case is SSE", []string{"TEXT/Event-Stream"}, "text/event-stream", streamTSSE},
		{"in a list is SSE", []string{"application/json, text/event-stream;q=0.5"}, "text/event-stream", streamTSSE},
		{"on a second header line is SSE", []string{"application/json", "text/event-stream"}, "text/event-stream", streamTSSE},
		{"a hostile 100 KB Accept naming event streams past 4 KB is NDJSON",
			[]string{strings.Repeat("application/x-junk;q=0.5, ", 4000) + "text/event-stream"}, "application/x-ndjson", streamTNDJSON},
		{"a 100 KB Accept naming event streams first is SSE",
			[]string{"text/event-stream, " + strings.Repeat("application/x-junk;q=0.5, ", 4000)}, "text/event-stream", streamTSSE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			for _, a := range tc.accept {
				hdr = append(hdr, "Accept", a)
			}
			got := testkit.Fetch(t, streamTItems(nil, streamTFramingItems...), "GET", hdr...)
			if got.Status != 200 || got.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("status %d, Content-Type %q; want 200, %q", got.Status, got.Header.Get("Content-Type"), tc.ctype)
			}
			if diff := cmp.Diff(strings.SplitAfter(tc.body, "\n"), strings.SplitAfter(got.Body, "\n")); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamHeaders(t *testing.T) {
	tests := []struct {
		name   string
		accept string
		preset http.Header // set by the handler before the stream
		want   http.Header // the headers compared
	}{
		{"SSE", "text/event-stream", nil, http.Header{
			"Content-Type": {"text/event-stream"}, "Cache-Control": {"no-cache"},
			"X-Accel-Buffering": {"no"}, "Vary": {"Accept"}, "Content-Length": nil,
		}},
		{"NDJSON", "", nil, http.Header{
			"Content-Type": {"application/x-ndjson"}, "Cache-Control": {"no-cache"},
			"X-Accel-Buffering": {"no"}, "Vary": {"Accept"}, "Content-Length": nil,
		}},
		{"Vary is appended to, not overwritten", "text/event-stream", http.Header{"Vary": {"Origin"}}, http.Header{
			"Vary": {"Origin", "Accept"},
		}},
		{"a Content-Type set before wins", "text/event-stream",
			http.Header{"Content-Type": {"text/event-stream; charset=utf-8"}}, http.Header{
				"Content-Type": {"text/event-stream; charset=utf-8"},
			}},
		{"a Content-Length set before is dropped", "", http.Header{"Content-Length": {"99"}}, http.Header{
			"Content-Length": nil,
		}},
		{"a Cache-Control set before is replaced", "", http.Header{"Cache-Control": {"max-age=3600"}}, http.Header{
			"Cache-Control": {"no-cache"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.preset {
					w.Header()[k] = v
				}
				streamTItems(nil, 1).ServeHTTP(w, r)
			})
			var hdr []string
			if tc.accept != "" {
				hdr = []string{"Accept", tc.accept}
			}
			got := testkit.Fetch(t, h, "GET", hdr...)
			gotHdr := http.Header{}
			for k := range tc.want {
				gotHdr[k] = got.Header[k]
			}
			if diff := cmp.Diff(tc.want, gotHdr); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStreamEventFieldsCannotInject checks that an Event whose ID or Event
// holds a line break or a NUL is an error, in both formats: a 500 problem as
// the first item, a last error item after it, and its fields never reach
// the wire.
func TestStreamEventFieldsCannotInject(t *testing.T) {
	for _, bad := range []send.Event{
		{ID: "1\ndata: injected", Data: 0},
		{ID: "1\rdata: injected", Data: 0},
		{ID: "1\x00injected", Data: 0},
		{Event: "x\n\ndata: injected", Data: 0},
		{Event: "x\r\nid: injected", Data: 0},
		{Event: "x\x00injected", Data: 0},
	} {
		for _, accept := range []string{"text/event-stream", "application/x-ndjson"} {
			t.Run(fmt.Sprintf("%q %q as the first item in %s", bad.ID, bad.Event, accept), func(t *testing.T) {
				var log testkit.Log
				got := testkit.Fetch(t, streamTLogged(&log, streamTItems(nil, bad, 2)), "GET", "Accept", accept)
				want := testkit.Response{Status: 500, Body: streamTProblem500}
				if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Header" }, cmp.Ignore())); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
				if n := len(log.Lines(t)); n != 1 {
					t.Errorf("%d log lines, want the cause logged once", n)
				}
			})
			t.Run(fmt.Sprintf("%q %q after an item in %s", bad.ID, bad.Event, accept), func(t *testing.T) {
				var log testkit.Log
				got := testkit.Fetch(t, streamTLogged(&log, streamTItems(nil, 1, bad, 2)), "GET", "Accept", accept)
				want := "data: 1\n\nevent: error\ndata: " + streamTProblem500 + "\n\n"
				if accept != "text/event-stream" {
					want = "1\n{\"error\":" + streamTProblem500 + "}\n"
				}
				if got.Status != 200 || got.Body != want {
					t.Errorf("got %d %q\nwant 200 %q", got.Status, got.Body, want)
				}
				lines := log.Lines(t)
				if len(lines) != 1 || !strings.Contains(fmt.Sprint(lines[0]["error"]), "line break") {
					t.Errorf("log lines %v, want the cause logged once", lines)
				}
			})
		}
	}
}

// TestStreamErrors is the error table: before the first item an error is an
// ordinary problem response; after it a last error item. Unclassified
// causes and 5xx are logged once, public 4xx not at all, and an item that
// cannot be encoded is an unclassified error.
func TestStreamErrors(t *testing.T) {
	notFound := streamTStatusError{404, "no such feed"}
	problem404 := `{"type":"about:blank","title":"Not Found","status":404,"detail":"no such feed"}`
	problem503 := `{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"feed paused"}`
	tests := []struct {
		name    string
		before  bool // the error comes before the first item
		err     error
		item    any // an item that cannot be encoded, when err is nil
		status  int
		problem string
		logged  string // a word of the cause in the one log line; "" for none
	}{
		{"public 4xx before the first item is its problem", true, notFound, nil, 404, problem404, ""},
		{"public 5xx before the first item is its problem, logged", true, streamTStatusError{503, "feed paused"}, nil, 503, problem503, "paused"},
		{"unclassified before the first item is a 500 without its text, logged", true, errors.New("db password wrong"), nil, 500, streamTProblem500, "password"},
		{"a channel as the first item is a 500", true, nil, make(chan int), 500, streamTProblem500, "chan"},
		{"NaN as the first item is a 500", true, nil, math.NaN(), 500, streamTProblem500, "NaN"},
		{"a failing MarshalJSON as the first item is a 500", true, nil, streamTBadJSON{}, 500, streamTProblem500, "streamTBadJSON"},
		{"public 4xx after an item is an error item", false, notFound, nil, 200, problem404, ""},
		{"public 5xx after an item is an error item, logged", false, streamTStatusError{503, "feed paused"}, nil, 200, problem503, "paused"},
		{"unclassified after an item is a 500 error item, logged", false, errors.New("db password wrong"), nil, 200, streamTProblem500, "password"},
		{"a channel after an item is a 500 error item", false, nil, make(chan int), 200, streamTProblem500, "chan"},
		{"NaN after an item is a 500 error item", false, nil, math.NaN(), 200, streamTProblem500, "NaN"},
		{"an Event with NaN data after an item leaves no field behind", false, nil, send.Event{ID: "leak", Event: "leak", Data: math.NaN()}, 200, streamTProblem500, "NaN"},
		{"a failing MarshalJSON after an item is a 500 error item", false, nil, streamTBadJSON{}, 200, streamTProblem500, "streamTBadJSON"},
		{"extension members after an item are in the error item", false, richErr{404, []send.Member{{"feed", "f1"}}}, nil, 200,
			`{"type":"https://example.com/t","title":"Out of credit","status":404,"detail":"rich error","instance":"/i/1","feed":"f1"}`, ""},
		{"an extension that cannot be encoded after an item is a 500 error item, logged", false, richErr{404, []send.Member{{"feed", make(chan int)}}}, nil, 200, streamTProblem500, "feed"},
	}
	for _, tc := range tests {
		for _, sse := range []bool{true, false} {
			accept := "application/x-ndjson"
			if sse {
				accept = "text/event-stream"
			}
			t.Run(tc.name+" in "+accept, func(t *testing.T) {
				var items []any
				if !tc.before {
					items = append(items, 1)
				}
				var rest []any
				if tc.err == nil {
					items = append(items, tc.item)
					rest = []any{"never sent"}
				}
				var afterFalse atomic.Int32 // yields after one returned false
				s := &send.Stream{Items: func(_ context.Context, yield func(any, error) bool) {
					stopped := false
					for _, it := range append(items, rest...) {
						if stopped {
							afterFalse.Add(1)
						}
						if !yield(it, nil) {
							stopped = true // keep going: a misbehaving producer gets nothing more out
						}
					}
					if tc.err != nil && !yield(nil, tc.err) {
						_ = yield(2, nil) // nothing more after the error either
					}
				}}
				var log testkit.Log
				got := testkit.Fetch(t, streamTLogged(&log, s), "GET", "Accept", accept)

				var want string
				switch {
				case tc.before:
					want = tc.problem
				case sse:
					want = "data: 1\n\nevent: error\ndata: " + tc.problem + "\n\n"
				default:
					want = "1\n{\"error\":" + tc.problem + "}\n"
				}
				if got.Status != tc.status || got.Body != want {
					t.Errorf("got %d %q\nwant %d %q", got.Status, got.Body, tc.status, want)
				}
				if ct := got.Header.Get("Content-Type"); tc.before && ct != "application/problem+json" {
					t.Errorf("Content-Type %q, want application/problem+json", ct)
				}
				lines := log.Lines(t)
				switch {
				case tc.logged == "" && len(lines) != 0:
					t.Errorf("a public 4xx was logged: %v", lines)
				case tc.logged != "" && (len(lines) != 1 || !strings.Contains(fmt.Sprint(lines[0]["error"]), tc.logged)):
					t.Errorf("log lines %v, want one whose error mentions %q", lines, tc.logged)
				}
				if tc.err == nil && afterFalse.Load() == 0 {
					t.Fatal("the test producer did not keep yielding after false")
				}
			})
		}
	}
}

func TestStreamWithoutBody(t *testing.T) {
	tests := []struct {
		name   string
		method string
		status int
		items  []any
		called bool // whether Items runs
	}{
		{"HEAD sends the stream's header and does not call Items", "HEAD", 200, []any{1}, false},
		{"a 204 stream does not call Items", "GET", 204, []any{1}, false},
		{"a 304 stream does not call Items", "GET", 304, []any{1}, false},
		{"an empty sequence is a 200 with the stream's header and no body", "GET", 200, nil, true},
		{"an empty sequence keeps a 201", "GET", 201, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var called atomic.Bool
			s := &send.Stream{Items: func(ctx context.Context, yield func(any, error) bool) {
				called.Store(true)
				for _, it := range tc.items {
					yield(it, nil)
				}
			}}
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { send.Value(w, r, tc.status, s) })
			got := testkit.Fetch(t, h, tc.method, "Accept", "text/event-stream")
			if got.Status != tc.status || got.Body != "" || called.Load() != tc.called {
				t.Errorf("got %d %q, Items called %v; want %d \"\", called %v",
					got.Status, got.Body, called.Load(), tc.status, tc.called)
			}
			if tc.status == 200 && (got.Header.Get("Content-Type") != "text/event-stream" || got.Header.Get("Cache-Control") != "no-cache") {
				t.Errorf("header %v, want the stream's", got.Header)
			}
		})
	}
}

func TestStreamKeepsTheStatusGivenToValue(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send.Value(w, r, http.StatusCreated, streamTItems(nil, 1, 2))
	})
	got := testkit.Fetch(t, h, "GET")
	if got.Status != 201 || got.Body != "1\n2\n" {
		t.Errorf("got %d %q, want 201 \"1\\n2\\n\"", got.Status, got.Body)
	}
}

// streamTRecorder is a ResponseWriter with Flush for tests on a fake
// clock: it logs the header and each flushed chunk with the time since it
// was made, and can fail writes.
type streamTRecorder struct {
	mu        sync.Mutex
	start     time.Time
	h         http.Header
	status    int
	pending   []byte
	log       []string
	writes    int
	failAfter int // writes that succeed before Write fails; 0: never fails
}

func streamTNewRecorder() *streamTRecorder {
	return &streamTRecorder{start: time.Now(), h: http.Header{}}
}

func (w *streamTRecorder) Header() http.Header { return w.h }

func (w *streamTRecorder) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status == 0 {
		w.status = code
		w.add(fmt.Sprint("header ", code))
	}
}

func (w *streamTRecorder) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status == 0 {
		w.status = 200
		w.add("header 200")
	}
	w.writes++
	if w.failAfter > 0 && w.writes > w.failAfter {
		return 0, errors.New("streamTRecorder: broken pipe")
	}
	w.pending = append(w.pending, p...)
	return len(p), nil
}

func (w *streamTRecorder) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.add(fmt.Sprintf("flush %q", w.pending))
	w.pending = nil
}

// add logs what happened now; mu must be held.
func (w *streamTRecorder) add(what string) {
	w.log = append(w.log, fmt.Sprint(time.Since(w.start), " ", what))
}

func (w *streamTRecorder) events() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.log...)
}

// streamTPaced is a stream that sleeps before each item as given: steps
// alternate a pause and an item; a non-nil error item is yielded as the
// error.
func streamTPaced(beat time.Duration, steps ...any) *send.Stream {
	return &send.Stream{Heartbeat: beat, Items: func(ctx context.Context, yield func(any, error) bool) {
		for i := 0; i+1 < len(steps); i += 2 {
			time.Sleep(steps[i].(time.Duration))
			var ok bool
			if err, isErr := steps[i+1].(error); isErr {
				ok = yield(nil, err)
			} else {
				ok = yield(steps[i+1], nil)
			}
			if !ok {
				return
			}
		}
	}}
}

// streamTClockCase is a stream served on a fake clock, with the writes
// it should make as a streamTRecorder logs them.
type streamTClockCase struct {
	name   string
	accept string
	stream *send.Stream
	want   []string
}

// streamTRunClock serves each case to a GET with its Accept, writing to
// a recorder made by newW, on a fake clock; it compares the log an hour
// later, so a write after the end shows.
func streamTRunClock[W interface {
	http.ResponseWriter
	events() []string
}](t *testing.T, tests []streamTClockCase, newW func() W) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newW()
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Accept", tc.accept)
				tc.stream.ServeHTTP(w, r)
				time.Sleep(time.Hour)
				if diff := cmp.Diff(tc.want, w.events()); diff != "" {
					t.Errorf("writes (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestStreamHeartbeats runs on a fake clock: a heartbeat comment is flushed
// when the stream has been idle for the interval, items postpone it, and
// none is sent after the stream ends.
func TestStreamHeartbeats(t *testing.T) {
	const s = time.Second
	tests := []streamTClockCase{
		{"an idle stream gets a comment every interval; items postpone it", "text/event-stream",
			streamTPaced(10*s, 0*s, 1, 25*s, 2, 5*s, 3, 8*s, 4), []string{
				`0s header 200`,
				`0s flush ""`,
				`0s flush "data: 1\n\n"`,
				`10s flush ":\n\n"`,
				`20s flush ":\n\n"`,
				`25s flush "data: 2\n\n"`,
				`30s flush "data: 3\n\n"`,
				`38s flush "data: 4\n\n"`,
			}},
		{"a heartbeat before the first item sends the header", "text/event-stream",
			streamTPaced(10*s, 15*s, 1), []string{
				`10s header 200`,
				`10s flush ""`,
				`10s flush ":\n\n"`,
				`15s flush "data: 1\n\n"`,
			}},
		{"an error after a heartbeat, with no item, is an error event", "text/event-stream",
			streamTPaced(10*s, 15*s, streamTStatusError{404, "gone"}), []string{
				`10s header 200`,
				`10s flush ""`,
				`10s flush ":\n\n"`,
				`15s flush "event: error\ndata: {\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"gone\"}\n\n"`,
			}},
		{"a zero Heartbeat is DefaultHeartbeat", "text/event-stream",
			streamTPaced(0, 0*s, 1, send.DefaultHeartbeat*2+s, 2), []string{
				`0s header 200`,
				`0s flush ""`,
				`0s flush "data: 1\n\n"`,
				`15s flush ":\n\n"`,
				`30s flush ":\n\n"`,
				`31s flush "data: 2\n\n"`,
			}},
		{"a negative Heartbeat sends none", "text/event-stream",
			streamTPaced(-1, time.Hour, 1, time.Hour, 2), []string{
				`1h0m0s header 200`,
				`1h0m0s flush ""`,
				`1h0m0s flush "data: 1\n\n"`,
				`2h0m0s flush "data: 2\n\n"`,
			}},
		{"NDJSON gets no heartbeat", "application/x-ndjson",
			streamTPaced(10*s, 0*s, 1, time.Minute, 2), []string{
				`0s header 200`,
				`0s flush ""`,
				`0s flush "1\n"`,
				`1m0s flush "2\n"`,
			}},
	}
	streamTRunClock(t, tests, streamTNewRecorder)
}

// TestStreamPanicStopsTheHeartbeat checks that a producer that panics
// leaves no heartbeat behind to write to the ResponseWriter after the
// handler has returned (while Recover answers, or on a reused connection):
// both for a panic that the stream answers as an error and for
// http.ErrAbortHandler, which goes on up.
func TestStreamPanicStopsTheHeartbeat(t *testing.T) {
	for _, tc := range []struct {
		items   []any
		panicky any
		escapes bool
	}{
		{nil, "streamT: producer bug", false},
		{[]any{1}, "streamT: producer bug", false},
		{nil, http.ErrAbortHandler, true},
		{[]any{1}, http.ErrAbortHandler, true},
	} {
		t.Run(fmt.Sprintf("%v after %d items", tc.panicky, len(tc.items)), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := streamTNewRecorder()
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Accept", "text/event-stream")
				s := &send.Stream{Heartbeat: time.Second, Items: func(_ context.Context, yield func(any, error) bool) {
					for _, it := range tc.items {
						yield(it, nil)
					}
					panic(tc.panicky)
				}}
				func() {
					defer func() {
						if p := recover(); (p != nil) != tc.escapes {
							t.Errorf("recovered %v; want the panic to escape: %v", p, tc.escapes)
						}
					}()
					s.ServeHTTP(w, r)
				}()
				before := w.events()
				time.Sleep(time.Minute)
				if diff := cmp.Diff(before, w.events()); diff != "" {
					t.Errorf("writes after the handler panicked (-before +after):\n%s", diff)
				}
			})
		})
	}
}

// TestStreamTinyHeartbeat races the first heartbeat with the start of the
// stream; run with -race.
func TestStreamTinyHeartbeat(t *testing.T) {
	for range 20 {
		w := streamTNewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", "text/event-stream")
		s := &send.Stream{Heartbeat: time.Nanosecond, Items: func(_ context.Context, yield func(any, error) bool) {
			for i := range 3 {
				if !yield(i, nil) {
					return
				}
			}
		}}
		s.ServeHTTP(w, r)
		var items []string
		for _, e := range w.events() {
			if strings.Contains(e, "data: ") {
				items = append(items, e[strings.Index(e, "data: "):])
			}
		}
		if want := []string{`data: 0\n\n"`, `data: 1\n\n"`, `data: 2\n\n"`}; !cmp.Equal(want, items) {
			t.Fatalf("items %q, want %q", items, want)
		}
	}
}

// TestStreamFailedWriteEndsTheStream checks that once a write fails (the
// client is gone) yield returns false, and goes on returning false, and
// nothing more is written, heartbeats included.
func TestStreamFailedWriteEndsTheStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := streamTNewRecorder()
		w.failAfter = 1
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", "text/event-stream")
		var results []bool
		s := &send.Stream{Heartbeat: time.Second, Items: func(_ context.Context, yield func(any, error) bool) {
			for i := range 4 {
				results = append(results, yield(i, nil))
			}
			results = append(results, yield(nil, errors.New("late")))
			time.Sleep(time.Minute)
		}}
		s.ServeHTTP(w, r)
		if want := []bool{true, false, false, false, false}; !cmp.Equal(want, results) {
			t.Errorf("yield returned %v, want %v", results, want)
		}
		if w.writes != 2 {
			t.Errorf("%d writes, want 2 (the item, the failed one)", w.writes)
		}
	})
}

// TestStreamCanceledContextStopsYield checks that yield returns false once
// the request's context is done, before writing.
func TestStreamCanceledContextStopsYield(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		w := streamTNewRecorder()
		r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
		var results []bool
		s := &send.Stream{Items: func(ctx context.Context, yield func(any, error) bool) {
			results = append(results, yield(1, nil))
			cancel()
			if ctx.Err() == nil {
				t.Error("Items was not given the request's context")
			}
			results = append(results, yield(2, nil), yield(3, nil))
		}}
		s.ServeHTTP(w, r)
		if want := []bool{true, false, false}; !cmp.Equal(want, results) {
			t.Errorf("yield returned %v, want %v", results, want)
		}
		want := []string{`0s header 200`, `0s flush ""`, `0s flush "1\n"`}
		if diff := cmp.Diff(want, w.events()); diff != "" {
			t.Errorf("writes (-want +got):\n%s", diff)
		}
	})
}

// panicStream yields n items, then panics with v.
func panicStream(n int, v any) *send.Stream {
	return &send.Stream{Heartbeat: -1, Items: func(_ context.Context, yield func(any, error) bool) {
		for i := range n {
			if !yield(i, nil) {
				return
			}
		}
		panic(v)
	}}
}

func TestStreamProducerPanicIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name, accept string
		items        int
		status       int
		body         string
	}{
		{"before the first item: a 500 problem", "", 0, 500, streamTProblem500},
		{"after it, NDJSON: an error line", "", 2, 200, "0\n1\n" + `{"error":` + streamTProblem500 + "}\n"},
		{"after it, SSE: an error event", "text/event-stream", 1, 200, "data: 0\n\nevent: error\ndata: " + streamTProblem500 + "\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log testkit.Log
			h := streamTLogged(&log, panicStream(tc.items, "secret state"))
			r := httptest.NewRequest("GET", "/", nil)
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status || w.Body.String() != tc.body {
				t.Errorf("%d %q\nwant %d %q", w.Code, w.Body, tc.status, tc.body)
			}
			lines := log.Lines(t)
			if len(lines) != 1 {
				t.Fatalf("log lines %v, want one", lines)
			}
			if line := lines[0]; line["error"] != "send: panic in a stream's producer: secret state" ||
				!strings.Contains(line["stack"].(string), "stream_test.go") {
				t.Errorf("log line %v", line)
			}
		})
	}
}

func TestStreamProducerErrAbortHandlerIsPanickedAgain(t *testing.T) {
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	panicStream(1, http.ErrAbortHandler).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("ServeHTTP returned")
}

// streamDWriteTimeout is the WriteTimeout of the streams under test. The
// first frame must be written within it too, header included, and under
// the race detector on a loaded machine gzipping one streamDItem alone
// can take tens of milliseconds; each test waits it once, after the
// socket buffers are full.
const streamDWriteTimeout = 500 * time.Millisecond

// streamDGuard bounds every wait of these tests: a guard against
// hanging, never a timing assertion.
const streamDGuard = 20 * time.Second

// streamDItem is 64 KiB of random hex digits: the socket buffers fill
// after a few hundred, even gzipped.
var streamDItem = func() string {
	r := rand.New(rand.NewChaCha8([32]byte{1}))
	const hex = "0123456789abcdef"
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = hex[r.IntN(16)]
	}
	return string(b)
}()

// streamDWatch wraps the handler: it reports when ServeHTTP returns, and
// counts the writes that come after. It keeps Unwrap, so
// http.ResponseController reaches through it.
type streamDWatch struct {
	next     http.Handler
	returned chan struct{}
	late     atomic.Int32 // writes after ServeHTTP returned
}

func (h *streamDWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ww := &streamDWatchWriter{ResponseWriter: w, h: h}
	defer func() {
		ww.done.Store(true)
		close(h.returned)
	}()
	h.next.ServeHTTP(ww, r)
}

type streamDWatchWriter struct {
	http.ResponseWriter
	h    *streamDWatch
	done atomic.Bool
}

func (w *streamDWatchWriter) Write(p []byte) (int, error) {
	if w.done.Load() {
		w.h.late.Add(1)
	}
	return w.ResponseWriter.Write(p)
}

func (w *streamDWatchWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// streamDRun is a stream that yields streamDItem, with heartbeats every
// millisecond competing for the connection, until yield returns false,
// served through wrap and watched.
type streamDRun struct {
	watch        *streamDWatch
	produced     chan struct{} // closed when the producer returns
	yieldedFalse atomic.Bool
}

func newStreamDRun(wrap func(http.Handler) http.Handler) *streamDRun {
	run := &streamDRun{produced: make(chan struct{})}
	s := &send.Stream{
		Heartbeat:    time.Millisecond,
		WriteTimeout: streamDWriteTimeout,
		Items: func(_ context.Context, yield func(any, error) bool) {
			defer close(run.produced)
			for range 2000 { // 128 MiB: more than socket buffers and flow-control windows hold
				if !yield(streamDItem, nil) {
					run.yieldedFalse.Store(true)
					return
				}
			}
		},
	}
	run.watch = &streamDWatch{next: wrap(s), returned: make(chan struct{})}
	return run
}

// ended checks that yield returned false, and waits for the producer and
// then the handler to return.
func (run *streamDRun) ended(t *testing.T) {
	t.Helper()
	testkit.WaitClosed(t, run.produced, streamDGuard, "the producer returned")
	if !run.yieldedFalse.Load() {
		t.Error("the producer ran out of items: yield never returned false")
	}
	testkit.WaitClosed(t, run.watch.returned, streamDGuard, "the handler returned")
}

// nothingLate checks that nothing was written after the handler returned.
func (run *streamDRun) nothingLate(t *testing.T) {
	t.Helper()
	if n := run.watch.late.Load(); n != 0 {
		t.Errorf("%d writes after the handler returned (a heartbeat left behind)", n)
	}
}

// TestStreamWriteTimeoutEndsAStreamNobodyReads opens a stream on a real
// server with a client that reads the header and then stops reading: once
// the socket buffers are full, the frame being written misses its
// deadline, yield returns false, the producer returns, the handler
// returns with nothing written after it, the server closes the
// connection and every goroutine of the stream ends. Alone and through
// middleware.Default, whose writers must pass the deadline on.
func TestStreamWriteTimeoutEndsAStreamNobodyReads(t *testing.T) {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	chains := []struct {
		name string
		wrap func(http.Handler) http.Handler
	}{
		{"send.Stream alone", func(h http.Handler) http.Handler { return h }},
		{"through middleware.Default", middleware.Default(middleware.DefaultConfig{Logger: logger}).Then},
		{"through middleware.Default and Timeout", middleware.Default(middleware.DefaultConfig{Logger: logger}).
			Append(middleware.Timeout(time.Minute)).Then},
		{"through middleware.Default compressing the stream", middleware.Default(middleware.DefaultConfig{
			Logger: logger, Compress: middleware.CompressConfig{Streams: 1}}).Then},
	}
	for _, chain := range chains {
		for _, accept := range []string{"text/event-stream", "application/x-ndjson"} {
			t.Run(chain.name+" "+accept, func(t *testing.T) {
				baseline := runtime.NumGoroutine()
				run := newStreamDRun(chain.wrap)
				srv := httptest.NewServer(run.watch)
				defer srv.Close()

				conn, err := net.Dial("tcp", srv.Listener.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(streamDGuard))
				req := "GET / HTTP/1.1\r\nHost: test\r\nAccept: " + accept + "\r\nAccept-Encoding: gzip\r\n\r\n"
				if _, err := io.WriteString(conn, req); err != nil {
					t.Fatal(err)
				}
				res, err := http.ReadResponse(bufio.NewReaderSize(conn, 512), nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.StatusCode != 200 {
					t.Fatalf("status %d, want 200", res.StatusCode)
				}
				// The client stops reading here.

				run.ended(t)

				// The server closed the connection: what the socket buffers
				// hold is read, then EOF (or a reset), not a timeout.
				_, err = io.Copy(io.Discard, conn)
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("reading the rest: %v; the server did not close the connection", err)
				}
				run.nothingLate(t)
				conn.Close()
				srv.Close()
				testkit.WaitGoroutines(t, baseline, streamDGuard)
			})
		}
	}
}

// streamDRecorder is a streamTRecorder whose connection takes write
// deadlines: it logs each, as the time left, or fails with err.
type streamDRecorder struct {
	*streamTRecorder
	err   error
	calls int
}

func (w *streamDRecorder) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	if w.err != nil {
		return w.err
	}
	if t.IsZero() {
		w.add("deadline cleared")
	} else {
		w.add(fmt.Sprint("deadline in ", time.Until(t)))
	}
	return nil
}

// TestStreamWriteDeadlines runs on a fake clock, over HTTP/1.1: each
// frame, the heartbeat and the error item included, is written under a
// deadline of WriteTimeout, renewed once less than 7/8 of it is left;
// what follows the stream gets one more.
func TestStreamWriteDeadlines(t *testing.T) {
	const s = time.Second
	tests := []streamTClockCase{
		{"each frame has its deadline, and the end one more", "text/event-stream",
			streamTPaced(10*s, 0*s, 1, 15*s, streamTStatusError{404, "gone"}), []string{
				`0s deadline in 30s`,
				`0s header 200`,
				`0s flush ""`,
				`0s flush "data: 1\n\n"`,
				`10s deadline in 30s`,
				`10s flush ":\n\n"`,
				`15s deadline in 30s`,
				`15s flush "event: error\ndata: {\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"gone\"}\n\n"`,
				`15s deadline in 30s`,
			}},
		{"a deadline with 7/8 of WriteTimeout left is kept", "application/x-ndjson",
			&send.Stream{WriteTimeout: 8 * s, Items: streamTPaced(0, 0*s, 1, s, 2, s, 3, s/2, 4).Items}, []string{
				`0s deadline in 8s`,
				`0s header 200`,
				`0s flush ""`,
				`0s flush "1\n"`,
				`1s flush "2\n"`,
				`2s deadline in 8s`,
				`2s flush "3\n"`,
				`2.5s flush "4\n"`,
				`2.5s deadline in 8s`,
			}},
		{"a negative WriteTimeout sets none", "application/x-ndjson",
			&send.Stream{WriteTimeout: -1, Items: streamTPaced(0, 0*s, 1).Items}, []string{
				`0s header 200`,
				`0s flush ""`,
				`0s flush "1\n"`,
			}},
		{"an empty stream bounds what follows it", "application/x-ndjson",
			&send.Stream{Items: streamTPaced(0).Items}, []string{
				`0s deadline in 30s`,
				`0s header 200`,
				`0s flush ""`,
				`0s deadline in 30s`,
			}},
	}
	streamTRunClock(t, tests, func() *streamDRecorder {
		return &streamDRecorder{streamTRecorder: streamTNewRecorder()}
	})
}

// TestStreamWriteDeadlinesOverHTTP2 checks that over HTTP/2, which resets
// a stream whose deadline passes even while it is idle, the deadline is
// cleared after each frame, and the server's before the first.
func TestStreamWriteDeadlinesOverHTTP2(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &streamDRecorder{streamTRecorder: streamTNewRecorder()}
		r := httptest.NewRequest("GET", "/", nil)
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
		streamTPaced(0, 0*time.Second, 1, time.Hour, 2).ServeHTTP(w, r)
		want := []string{
			`0s deadline cleared`,
			`0s deadline in 30s`,
			`0s header 200`,
			`0s flush ""`,
			`0s flush "1\n"`,
			`0s deadline cleared`,
			`1h0m0s deadline in 30s`,
			`1h0m0s flush "2\n"`,
			`1h0m0s deadline cleared`,
			`1h0m0s deadline in 30s`,
		}
		if diff := cmp.Diff(want, w.events()); diff != "" {
			t.Errorf("writes (-want +got):\n%s", diff)
		}
	})
}

// TestStreamWriteDeadlineErrors checks what a writer that refuses a
// deadline does: http.ErrNotSupported streams on without deadlines, and
// is not asked again; any other error ends the stream before the frame.
func TestStreamWriteDeadlineErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		results []bool
		calls   int
		want    []string
	}{
		{"not supported: the frames go without a deadline", fmt.Errorf("wrapped: %w", http.ErrNotSupported),
			[]bool{true, true}, 1, []string{`0s header 200`, `0s flush ""`, `0s flush "1\n"`, `0s flush "2\n"`}},
		{"another error ends the stream before the frame", errors.New("connection closed"),
			[]bool{false, false}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := &streamDRecorder{streamTRecorder: streamTNewRecorder(), err: tc.err}
				var results []bool
				s := &send.Stream{Items: func(_ context.Context, yield func(any, error) bool) {
					results = append(results, yield(1, nil), yield(2, nil))
				}}
				s.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
				if !cmp.Equal(tc.results, results) {
					t.Errorf("yield returned %v, want %v", results, tc.results)
				}
				if w.calls != tc.calls {
					t.Errorf("SetWriteDeadline called %d times, want %d", w.calls, tc.calls)
				}
				if diff := cmp.Diff(tc.want, w.events()); diff != "" {
					t.Errorf("writes (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestStreamWriteTimeoutOverHTTP2 is TestStreamWriteTimeoutEndsAStreamNobodyReads
// over HTTP/2, where a client that does not read stops the server by flow
// control: the deadline resets the stream, yield returns false, and the
// producer and the handler return.
func TestStreamWriteTimeoutOverHTTP2(t *testing.T) {
	baseline := runtime.NumGoroutine()
	run := newStreamDRun(func(h http.Handler) http.Handler { return h })
	srv := httptest.NewUnstartedServer(run.watch)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	// No deadline on the request: only the server may end the stream.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.ProtoMajor != 2 {
		t.Fatalf("protocol %s, want HTTP/2", res.Proto)
	}
	// The client reads nothing of the body.

	run.ended(t)
	if _, err := io.Copy(io.Discard, res.Body); err == nil {
		t.Error("the body ended cleanly; want the stream reset")
	}
	run.nothingLate(t)
	res.Body.Close()
	srv.Client().CloseIdleConnections()
	srv.Close()
	testkit.WaitGoroutines(t, baseline, streamDGuard)
}

// streamDPause, as an item of TestStreamOutlivesTheServersWriteTimeout,
// makes the producer sleep past the server's WriteTimeout.
type streamDPause struct{}

// TestStreamOutlivesTheServersWriteTimeout checks that the server's
// WriteTimeout, a deadline on the whole response, cuts no stream: its
// frames set their own, whether that deadline passes between items or
// before the first write (an item, the header of an empty stream, an
// error's problem response), over HTTP/1.1 and over HTTP/2, whose server
// resets a stream when that deadline passes even while nothing is written.
func TestStreamOutlivesTheServersWriteTimeout(t *testing.T) {
	const serverTimeout = 100 * time.Millisecond
	for _, tc := range []struct {
		name   string
		items  []any
		status int
		body   string
	}{
		{"between items", []any{1, streamDPause{}, 2}, 200, "1\n2\n"},
		{"before the first item", []any{streamDPause{}, 1, 2}, 200, "1\n2\n"},
		{"an empty stream", []any{streamDPause{}}, 200, ""},
		{"an error before the first item", []any{streamDPause{}, streamTStatusError{404, "gone"}}, 404,
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"gone"}`},
	} {
		for _, h2 := range []bool{false, true} {
			t.Run(fmt.Sprint(tc.name, " HTTP/2 ", h2), func(t *testing.T) {
				s := &send.Stream{Items: func(_ context.Context, yield func(any, error) bool) {
					for _, it := range tc.items {
						switch it := it.(type) {
						case streamDPause:
							time.Sleep(3 * serverTimeout)
						case error:
							yield(nil, it)
							return
						default:
							if !yield(it, nil) {
								return
							}
						}
					}
				}}
				// Without TLS: the server's WriteTimeout bounds the TLS
				// handshake too, which a loaded machine may not finish in
				// time. HTTP/2 is spoken with prior knowledge.
				var protocols http.Protocols
				protocols.SetHTTP1(!h2)
				protocols.SetUnencryptedHTTP2(h2)
				srv := httptest.NewUnstartedServer(s)
				srv.Config.WriteTimeout = serverTimeout
				srv.Config.Protocols = &protocols
				srv.Start()
				defer srv.Close()
				client := &http.Client{Transport: &http.Transport{Protocols: &protocols}}
				defer client.CloseIdleConnections()
				res, err := client.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				if got := res.ProtoMajor == 2; got != h2 {
					t.Fatalf("protocol %s", res.Proto)
				}
				b, err := io.ReadAll(res.Body)
				if err != nil || res.StatusCode != tc.status || string(b) != tc.body {
					t.Errorf("got %d %q, %v; want %d %q, nil", res.StatusCode, b, err, tc.status, tc.body)
				}
			})
		}
	}
}
