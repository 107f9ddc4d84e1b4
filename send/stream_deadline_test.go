package send_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

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
