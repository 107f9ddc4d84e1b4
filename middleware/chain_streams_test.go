package middleware_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

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
	wire := &testkit.CountingReader{R: res.Body}
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
	if line.Bytes != int64(wire.N()) {
		t.Errorf("logged bytes %d, %d on the wire", line.Bytes, int64(wire.N()))
	}
}

// streamTTimeout is the Timeout of the chain under test: short next to the
// streams, which wait for the test between items.
const streamTTimeout = 50 * time.Millisecond

// streamTChain is the default chain with a body limit of 64 bytes and
// Timeout(d) appended, logging to sink, in front of route.
func streamTChain(sink *testkit.Log, d time.Duration, route micro.Handler) http.Handler {
	return streamTChainCompress(sink, d, middleware.CompressConfig{}, route)
}

// streamTChainCompress is streamTChain with Compress configured by cfg.
func streamTChainCompress(sink *testkit.Log, d time.Duration, cfg middleware.CompressConfig, route micro.Handler) http.Handler {
	return middleware.Default(middleware.DefaultConfig{Logger: sink.JSONLogger(slog.LevelDebug), BodyLimit: 64, Compress: cfg}).
		Append(middleware.Timeout(d)).Then(route)
}

// streamTGated streams "one", waits for gate to be closed, then streams
// "two" and "three".
func streamTGated(gate <-chan struct{}) micro.Handler {
	return func(r *http.Request) (any, error) {
		return micro.Stream(func(yield func(string) bool) {
			if !yield("one") {
				return
			}
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
			for _, s := range []string{"two", "three"} {
				if !yield(s) {
					return
				}
			}
		}), nil
	}
}

// streamTReadItem reads the next item's line (the data line of an event),
// failing the test if it does not come within 10 s.
func streamTReadItem(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				got <- "error: " + err.Error()
				return
			}
			if line = strings.TrimSuffix(line, "\n"); line != "" && line != ":" {
				got <- strings.TrimPrefix(line, "data: ")
				return
			}
		}
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no item within 10 s: the stream is held back")
		return ""
	}
}

// TestStreamChainFlushesEachItem checks that every item reaches the client
// while the producer is blocked before the next, uncompressed unless
// Compress's Streams allows it and the client accepts gzip, and that the
// Logger logs one line at the end with the bytes that went on the wire and
// the request ID.
func TestStreamChainFlushesEachItem(t *testing.T) {
	encodings := []struct {
		name     string
		encoding string
		streams  int
		gzip     bool
	}{
		{"gzip accepted, streams not compressed", "gzip", 0, false},
		{"gzip accepted, Streams 1", "gzip", 1, true},
		{"identity, Streams 1", "identity", 1, false},
	}
	for _, accept := range []string{"text/event-stream", "application/x-ndjson"} {
		for _, enc := range encodings {
			encoding := enc.encoding
			t.Run(accept+" "+enc.name, func(t *testing.T) {
				var sink testkit.Log
				gate := make(chan struct{})
				cfg := middleware.CompressConfig{Streams: enc.streams}
				srv := httptest.NewServer(streamTChainCompress(&sink, streamTTimeout, cfg, streamTGated(gate)))
				defer srv.Close()
				r, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL, nil)
				r.Header.Set("Accept", accept)
				r.Header.Set("Accept-Encoding", encoding) // set by hand: the transport does not decompress
				res, err := srv.Client().Do(r)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				if got := res.Header.Get("Content-Encoding"); (got == "gzip") != enc.gzip {
					t.Errorf("Content-Encoding %q, want gzip: %v", got, enc.gzip)
				}
				vary := strings.Join(res.Header.Values("Vary"), ", ")
				if !strings.Contains(vary, "Accept-Encoding") || !strings.Contains(strings.ReplaceAll(vary, "Accept-Encoding", ""), "Accept") {
					t.Errorf("Vary %q, want Accept and Accept-Encoding", vary)
				}
				raw := &testkit.CountingReader{R: res.Body}
				var body io.Reader = raw
				if enc.gzip {
					zr, err := gzip.NewReader(raw)
					if err != nil {
						t.Fatal(err)
					}
					body = zr
				}
				br := bufio.NewReader(body)
				if got := streamTReadItem(t, br); got != `"one"` {
					t.Fatalf("first item %q, want \"one\"", got)
				}
				if lines := sink.Lines(t); len(lines) != 0 {
					t.Errorf("logged while streaming: %v", lines)
				}
				close(gate)
				for _, want := range []string{`"two"`, `"three"`} {
					if got := streamTReadItem(t, br); got != want {
						t.Fatalf("item %q, want %s", got, want)
					}
				}
				if rest, err := io.ReadAll(br); err != nil || strings.Trim(string(rest), "\n") != "" {
					t.Fatalf("after the items: %q, %v", rest, err)
				}
				srv.Close() // waits for the handler, and the Logger
				lines := sink.Lines(t)
				if len(lines) != 1 {
					t.Fatalf("%d log lines, want 1: %v", len(lines), lines)
				}
				l := lines[0]
				if l["status"] != 200.0 || l["bytes"] != float64(raw.N()) || l["bytes"] == 0.0 {
					t.Errorf("logged status %v, bytes %v; want 200, %d (what the client read)", l["status"], l["bytes"], raw.N())
				}
				if id := res.Header.Get("X-Request-Id"); id == "" || l["request_id"] != id {
					t.Errorf("logged request_id %v, response X-Request-Id %q", l["request_id"], id)
				}
			})
		}
	}
}

// TestStreamChainTimeout checks Timeout against streams: a stream that has
// started is not cut, however long it runs; an event stream's heartbeat
// starts it; a stream that produces nothing before the deadline gets the
// 503.
func TestStreamChainTimeout(t *testing.T) {
	// pastDeadline waits until the route's deadline has passed, with a
	// margin for the timer, and reports whether its context is still live.
	pastDeadline := func(r *http.Request) bool {
		dl, ok := r.Context().Deadline()
		if !ok {
			return false
		}
		select {
		case <-time.After(time.Until(dl) + 4*streamTTimeout):
		case <-r.Context().Done():
		}
		return r.Context().Err() == nil
	}
	var live atomic.Bool
	tests := []struct {
		name   string
		accept string
		route  micro.Handler
		status int
		body   string
		live   bool // the context was still live after the deadline
	}{
		{"a stream that started is not cut at the deadline", "", func(r *http.Request) (any, error) {
			return micro.Stream(func(yield func(int) bool) {
				if !yield(1) {
					return
				}
				live.Store(pastDeadline(r))
				for i := 2; i <= 3 && yield(i); i++ {
				}
			}), nil
		}, 200, "1\n2\n3\n", true},
		{"a heartbeat before the deadline starts an event stream", "text/event-stream", func(r *http.Request) (any, error) {
			s := micro.Stream(func(yield func(int) bool) {
				live.Store(pastDeadline(r))
				yield(1)
			})
			s.Heartbeat = streamTTimeout / 50
			return s, nil
		}, 200, "data: 1\n\n", true},
		{"a stream with nothing before the deadline is a 503", "", func(r *http.Request) (any, error) {
			return micro.Stream(func(yield func(int) bool) {
				live.Store(pastDeadline(r))
				yield(1)
			}), nil
		}, 503, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			live.Store(false)
			var sink testkit.Log
			res := testkit.Fetch(t, streamTChain(&sink, streamTTimeout, tc.route), "GET", "Accept", tc.accept)
			body := strings.ReplaceAll(res.Body, ":\n\n", "") // heartbeats
			if res.Status != tc.status || (tc.status == 200 && body != tc.body) {
				t.Errorf("got %d %q, want %d %q", res.Status, body, tc.status, tc.body)
			}
			if live.Load() != tc.live {
				t.Errorf("context live after the deadline: %v, want %v", live.Load(), tc.live)
			}
			if lines := sink.Lines(t); len(lines) != 1 || lines[0]["status"] != float64(tc.status) {
				t.Errorf("log lines %v, want one with status %d", lines, tc.status)
			}
		})
	}
}

// TestStreamChainBodyLimitAndRequestID checks that a streaming route reads
// its body under BodyLimit like any route and sees its request ID.
func TestStreamChainBodyLimitAndRequestID(t *testing.T) {
	route := micro.Handler(func(r *http.Request) (any, error) {
		b, err := micro.Buffer(r)
		if err != nil {
			return nil, err
		}
		return micro.Stream(func(yield func(string) bool) {
			_ = yield(string(b)) && yield(middleware.RequestIDFrom(r))
		}), nil
	})
	tests := []struct {
		name    string
		body    io.Reader
		status  int
		want    string
		problem bool
	}{
		{"a body under the limit is streamed back with the request ID", strings.NewReader("hello"), 200,
			"\"hello\"\n\"stream-7\"\n", false},
		{"a declared body over the limit is a 413 before the route", strings.NewReader(strings.Repeat("x", 65)), 413, "", true},
		{"a chunked body over the limit is the route's 413", io.MultiReader(strings.NewReader(strings.Repeat("x", 65))), 413, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sink testkit.Log
			srv := httptest.NewServer(streamTChain(&sink, time.Minute, route))
			defer srv.Close()
			r, _ := http.NewRequestWithContext(context.Background(), "POST", srv.URL, tc.body)
			r.Header.Set("X-Request-Id", "stream-7")
			res, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			ct := res.Header.Get("Content-Type")
			if res.StatusCode != tc.status || (!tc.problem && string(b) != tc.want) || (tc.problem != (ct == "application/problem+json")) {
				t.Errorf("got %d %s %q, want %d %q", res.StatusCode, ct, b, tc.status, tc.want)
			}
			if id := res.Header.Get("X-Request-Id"); id != "stream-7" {
				t.Errorf("X-Request-Id %q, want stream-7", id)
			}
		})
	}
}
