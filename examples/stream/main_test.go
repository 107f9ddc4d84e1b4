package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/testkit"
)

// wait bounds every wait for something that should happen at once; it is
// a deadline for a hung test, never a measured time.
const wait = 10 * time.Second

// newServer serves the routes on 127.0.0.1, logging to the returned
// buffer. At the end of the test the streams are stopped before the
// server closes, so a producer that missed its client's departure fails
// the test that checks for it instead of hanging srv.Close.
func newServer(t *testing.T) (*httptest.Server, *testkit.Log) {
	t.Helper()
	log := &testkit.Log{}
	stopping := make(chan struct{})
	srv := httptest.NewServer(newHandler(log.TextLogger(slog.LevelInfo), stopping))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stopping) }) // runs first
	return srv, log
}

// open sends a GET with the header lines given as "Key: value" and returns
// the response, its body not read.
func open(ctx context.Context, t *testing.T, client *http.Client, url string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// reply is what a test compares of a whole response.
type reply struct {
	Status int
	Type   string
	Body   string
}

// get sends a GET and reads the whole response, failing if it takes
// longer than wait (a stream that does not end).
func get(t *testing.T, client *http.Client, url string, header ...string) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	res := open(ctx, t, client, url, header...)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", url, err)
	}
	return reply{res.StatusCode, res.Header.Get("Content-Type"), string(b)}
}

// eventSource returns the header lines of an EventSource's request: its
// Accept, and the Last-Event-ID it resumes after unless lastID is empty.
func eventSource(lastID string) []string {
	if lastID == "" {
		return []string{"Accept: text/event-stream"}
	}
	return []string{"Accept: text/event-stream", "Last-Event-ID: " + lastID}
}

// clients are the two ways a client reads the stream: asking for gzip,
// as Go's transport and every EventSource do (the middleware sends
// streams uncompressed all the same), and not, as curl does.
func clients(srv *httptest.Server) map[string]*http.Client {
	plain := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	return map[string]*http.Client{"gzip": srv.Client(), "identity": plain}
}

func TestTicksFormatFollowsAccept(t *testing.T) {
	srv, _ := newServer(t)
	const ndjson = "{\"tick\":1}\n{\"tick\":2}\n{\"tick\":3}\n"
	const sse = "id: 1\ndata: {\"tick\":1}\n\n" +
		"id: 2\ndata: {\"tick\":2}\n\n" +
		"id: 3\ndata: {\"tick\":3}\n\n"
	tests := []struct {
		name   string
		accept string
		want   reply
	}{
		{"curl's default Accept gets n NDJSON lines in order", "*/*", reply{200, "application/x-ndjson", ndjson}},
		{"no Accept gets NDJSON", "", reply{200, "application/x-ndjson", ndjson}},
		{"JSON clients get NDJSON", "application/json", reply{200, "application/x-ndjson", ndjson}},
		{"EventSource's Accept gets n events in order with their ids", "text/event-stream", reply{200, "text/event-stream", sse}},
		{"event-stream among others gets events", "application/json, text/event-stream;q=0.5", reply{200, "text/event-stream", sse}},
		{"event-stream refused with q=0 gets NDJSON", "text/event-stream;q=0", reply{200, "application/x-ndjson", ndjson}},
	}
	for via, client := range clients(srv) {
		for _, tt := range tests {
			t.Run(via+"/"+tt.name, func(t *testing.T) {
				var header []string
				if tt.accept != "" {
					header = append(header, "Accept: "+tt.accept)
				}
				got := get(t, client, srv.URL+"/api/ticks?n=3&every=10ms", header...)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("GET /api/ticks?n=3 (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestTicksStreamHeaders(t *testing.T) {
	srv, _ := newServer(t)
	res := open(t.Context(), t, srv.Client(), srv.URL+"/api/ticks?n=1&every=10ms", "Accept: text/event-stream")
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	for key, want := range map[string]string{
		"Cache-Control":     "no-cache",
		"X-Accel-Buffering": "no",
	} {
		if got := res.Header.Get(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if got := res.Header.Get("X-Request-Id"); got == "" {
		t.Error("no X-Request-Id: the stream did not go through the middleware chain")
	}
	if vary := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(vary, "Accept-Encoding") || !strings.Contains(vary, "Accept") {
		t.Errorf("Vary = %q, want Accept and Accept-Encoding", vary)
	}
	if res.Uncompressed {
		t.Error("the event stream was gzip-compressed: an open stream would hold a gzip writer (~800 KiB)")
	}
}

func TestTicksResumeAfterLastEventID(t *testing.T) {
	srv, _ := newServer(t)
	tests := []struct {
		name   string
		lastID string
		want   reply
	}{
		{"no Last-Event-ID starts at 1", "", reply{200, "text/event-stream",
			"id: 1\ndata: {\"tick\":1}\n\nid: 2\ndata: {\"tick\":2}\n\nid: 3\ndata: {\"tick\":3}\n\nid: 4\ndata: {\"tick\":4}\n\n"}},
		{"Last-Event-ID 0 starts at 1", "0", reply{200, "text/event-stream",
			"id: 1\ndata: {\"tick\":1}\n\nid: 2\ndata: {\"tick\":2}\n\nid: 3\ndata: {\"tick\":3}\n\nid: 4\ndata: {\"tick\":4}\n\n"}},
		{"Last-Event-ID 2 resumes at 3", "2", reply{200, "text/event-stream",
			"id: 3\ndata: {\"tick\":3}\n\nid: 4\ndata: {\"tick\":4}\n\n"}},
		{"Last-Event-ID 3 sends the last tick only", "3", reply{200, "text/event-stream",
			"id: 4\ndata: {\"tick\":4}\n\n"}},
		{"Last-Event-ID n is 204: nothing left, EventSource stops", "4", reply{204, "", ""}},
		{"Last-Event-ID past n is 204", "5", reply{204, "", ""}},
		{"the largest Last-Event-ID is 204", "9223372036854775807", reply{204, "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(t, srv.Client(), srv.URL+"/api/ticks?n=4&every=10ms", eventSource(tt.lastID)...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Last-Event-ID %q (-want +got):\n%s", tt.lastID, diff)
			}
		})
	}
	t.Run("NDJSON clients resume too", func(t *testing.T) {
		got := get(t, srv.Client(), srv.URL+"/api/ticks?n=4&every=10ms", "Last-Event-ID: 3")
		if diff := cmp.Diff(reply{200, "application/x-ndjson", "{\"tick\":4}\n"}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestTicksBadParametersAre400(t *testing.T) {
	srv, _ := newServer(t)
	tests := []struct {
		name   string
		query  string
		lastID string
		detail string
	}{
		{"n 0", "n=0", "", `n must be an integer from 1 to 1000000000, not "0"`},
		{"n negative", "n=-1", "", `n must be an integer from 1 to 1000000000, not "-1"`},
		{"n with a plus sign", "n=%2B5", "", `n must be an integer from 1 to 1000000000, not "+5"`},
		{"n with spaces", "n=%205", "", `n must be an integer from 1 to 1000000000, not " 5"`},
		{"n in exponent form", "n=1e3", "", `n must be an integer from 1 to 1000000000, not "1e3"`},
		{"n one over the limit", "n=1000000001", "", `n must be an integer from 1 to 1000000000, not "1000000001"`},
		{"n past int64", "n=99999999999999999999", "", `n must be an integer from 1 to 1000000000, not "99999999999999999999"`},
		{"n not a number", "n=ten", "", `n must be an integer from 1 to 1000000000, not "ten"`},
		{"n given twice", "n=1&n=2", "", `n is given 2 times; give it once`},
		{"a long n is echoed cut", "n=" + strings.Repeat("9", 100), "", `n must be an integer from 1 to 1000000000, not "` + strings.Repeat("9", 32) + `"`},
		{"every under 10ms", "every=9ms", "", `every must be a duration from 10ms to 1h, such as 500ms or 2s, not "9ms"`},
		{"every 1ns under 10ms", "every=9999999ns", "", `every must be a duration from 10ms to 1h, such as 500ms or 2s, not "9999999ns"`},
		{"every 1ns over 1h", "every=1h0m0.000000001s", "", `every must be a duration from 10ms to 1h, such as 500ms or 2s, not "1h0m0.000000001s"`},
		{"every zero", "every=0", "", `every must be a duration from 10ms to 1h, such as 500ms or 2s, not "0"`},
		{"every negative", "every=-1s", "", `every must be a duration from 10ms to 1h, such as 500ms or 2s, not "-1s"`},
		{"every without a unit", "every=100", "", `every must be a duration from 10ms to 1h, such as 500ms or 2s, not "100"`},
		{"every given twice", "every=1s&every=2s", "", `every is given 2 times; give it once`},
		{"Last-Event-ID not a number", "n=3", "abc", `Last-Event-ID must be the id of a tick, a whole number, not "abc"`},
		{"Last-Event-ID negative", "n=3", "-1", `Last-Event-ID must be the id of a tick, a whole number, not "-1"`},
		{"Last-Event-ID with a plus sign", "n=3", "+1", `Last-Event-ID must be the id of a tick, a whole number, not "+1"`},
		{"Last-Event-ID a fraction", "n=3", "1.0", `Last-Event-ID must be the id of a tick, a whole number, not "1.0"`},
		{"Last-Event-ID past int64", "n=3", "9223372036854775808", `Last-Event-ID must be the id of a tick, a whole number, not "9223372036854775808"`},
		{"n is checked before Last-Event-ID", "n=0", "abc", `n must be an integer from 1 to 1000000000, not "0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(t, srv.Client(), srv.URL+"/api/ticks?"+tt.query, eventSource(tt.lastID)...)
			body, _ := json.Marshal(map[string]any{"type": "about:blank", "title": "Bad Request", "status": 400, "detail": tt.detail})
			want := reply{400, "application/problem+json", string(body)}
			var gotJSON, wantJSON any
			if json.Unmarshal([]byte(got.Body), &gotJSON) == nil {
				json.Unmarshal(body, &wantJSON)
				got.Body, want.Body = "", "" // compared as JSON below
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("?%s with Last-Event-ID %q (-want +got):\n%s", tt.query, tt.lastID, diff)
			}
			if diff := cmp.Diff(wantJSON, gotJSON); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTicksBoundsAreAccepted opens the streams at the edges of the
// bounds and reads their first tick, which comes at once. It also shows
// that a stream is flushed item by item: with every=1h, the first tick
// arrives only if nothing holds it back.
func TestTicksBoundsAreAccepted(t *testing.T) {
	srv, _ := newServer(t)
	for _, query := range []string{
		"n=1000000000&every=1h",
		"n=1&every=10ms",
		"every=1h",
		"n=&every=",
		"",
	} {
		t.Run(query, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), wait)
			defer cancel()
			res := open(ctx, t, srv.Client(), srv.URL+"/api/ticks?"+query)
			defer res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("status %d, want 200", res.StatusCode)
			}
			line, err := bufio.NewReader(res.Body).ReadString('\n')
			if err != nil || line != "{\"tick\":1}\n" {
				t.Errorf("first line %q, %v; want {\"tick\":1}", line, err)
			}
		})
	}
}

func TestHeadGetsTheStreamHeaders(t *testing.T) {
	srv, _ := newServer(t)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, srv.URL+"/api/ticks?n=3&every=1h", nil)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err) // a stream would hang here until the hour is up
	}
	res.Body.Close()
	if got := (reply{res.StatusCode, res.Header.Get("Content-Type"), ""}); got != (reply{200, "application/x-ndjson", ""}) {
		t.Errorf("HEAD = %+v", got)
	}
}

func TestPageIsServed(t *testing.T) {
	srv, _ := newServer(t)
	got := get(t, srv.Client(), srv.URL+"/")
	if got.Status != 200 || got.Type != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %q", got.Status, got.Type)
	}
	for _, want := range []string{"new EventSource(", "/api/ticks?", ".textContent", "close()"} {
		if !strings.Contains(got.Body, want) {
			t.Errorf("the page does not contain %q", want)
		}
	}
	for _, banned := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "src=\"http", "href=\"http"} {
		if strings.Contains(got.Body, banned) {
			t.Errorf("the page contains %q: data must be shown with textContent, and no external assets", banned)
		}
	}
	if got := get(t, srv.Client(), srv.URL+"/nope"); got.Status != 404 {
		t.Errorf("GET /nope = %d, want 404", got.Status)
	}
}

// producers counts the goroutines running a ticks iterator.
func producers() int {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "ticker.events.func1(") // inlined, it is ticker.ticks.ticker.events.func1
		}
		buf = make([]byte, 2*len(buf))
	}
}

// eventually polls cond until it holds or wait is up.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// TestClientDisconnectStopsTheProducer reads one tick of a stream that
// waits an hour for the next, then goes away: the iterator must see the
// request's context end, since no write fails before the hour is up.
func TestClientDisconnectStopsTheProducer(t *testing.T) {
	srv, log := newServer(t)
	if !eventually(func() bool { return producers() == 0 }) {
		t.Fatal("producers left over from earlier tests")
	}
	for name, accept := range map[string]string{"NDJSON": "*/*", "events": "text/event-stream"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			res := open(ctx, t, srv.Client(), srv.URL+"/api/ticks?every=1h", "Accept: "+accept)
			if _, err := bufio.NewReader(res.Body).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			if got := producers(); got != 1 {
				t.Fatalf("%d producers while the stream is open, want 1", got)
			}
			before := strings.Count(log.String(), "path=/api/ticks")
			cancel()
			res.Body.Close()
			if !eventually(func() bool { return producers() == 0 }) {
				t.Fatalf("%d producers still running %s after the client left", producers(), wait)
			}
			if !eventually(func() bool { return strings.Count(log.String(), "path=/api/ticks") == before+1 }) {
				t.Errorf("the request was not logged once after the client left; log:\n%s", log)
			}
		})
	}
}

// TestShutdownEndsOpenStreams cancels run's context while two streams
// wait an hour for their next tick: the streams end cleanly and run
// returns, well within the minute of -grace it would otherwise wait.
func TestShutdownEndsOpenStreams(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, flag.NewFlagSet("stream", flag.ContinueOnError), []string{"-addr", "127.0.0.1:0", "-grace", "1m"}, io.Discard, func(a net.Addr) { addrs <- a })
	}()
	base := "http://" + (<-addrs).String()

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	type stream struct {
		body *bufio.Reader
		res  *http.Response
		want string // the rest of the body once the stream ends
	}
	streams := map[string]stream{}
	for name, accept := range map[string]string{"NDJSON": "*/*", "events": "text/event-stream"} {
		res := open(t.Context(), t, client, base+"/api/ticks?every=1h", "Accept: "+accept)
		defer res.Body.Close()
		s := stream{body: bufio.NewReader(res.Body), res: res}
		if _, err := s.body.ReadString('\n'); err != nil {
			t.Fatalf("%s: first tick: %v", name, err)
		}
		if name == "events" {
			s.body.ReadString('\n') // the data line; the blank line that ends the event is the rest
			s.want = "\n"
		}
		streams[name] = s
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatalf("run did not return %s after shutdown began: the open streams hold it", wait)
	}
	for name, s := range streams {
		rest, err := io.ReadAll(s.body)
		if err != nil || string(rest) != s.want {
			t.Errorf("%s: the stream ended with %q, %v; want %q and a clean end", name, rest, err, s.want)
		}
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		t.Error("the server still accepts connections after run returned")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-addr", "256.0.0.1:1"}, {"-grace", "soon"}} {
		var stderr bytes.Buffer
		if err := run(t.Context(), flag.NewFlagSet("stream", flag.ContinueOnError), args, &stderr, nil); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}
