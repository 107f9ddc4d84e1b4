package middleware_test

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

// compressStreamOpen opens n server-sent event streams on srv, each
// asking for encoding, and returns once every client has read its
// first body bytes, with how many came gzipped and a function that
// closes them all.
func compressStreamOpen(t *testing.T, srv *httptest.Server, n int, encoding string) (gzipped int, closeAll func()) {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	closeAll = func() {
		for _, c := range conns {
			c.Close()
		}
	}
	req := "GET / HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\nAccept-Encoding: " + encoding + "\r\n\r\n"
	for range n {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			closeAll()
			t.Fatal(err)
		}
		conns = append(conns, c)
		// A guard against hanging, not a timing assertion.
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(c, req); err != nil {
			closeAll()
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			closeAll()
			t.Fatal(err)
		}
		if _, err := res.Body.Read(make([]byte, 1)); err != nil { // the first item was flushed
			closeAll()
			t.Fatalf("reading the first item: %v", err)
		}
		if res.Header.Get("Content-Encoding") == "gzip" {
			gzipped++
		}
	}
	return gzipped, closeAll
}

// compressStreamHeap returns the bytes of live heap, after GC.
func compressStreamHeap() uint64 {
	runtime.GC()
	runtime.GC() // the second empties the pools' victim caches
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestCompressStreamHeapThroughDefault measures the heap that 200 open
// server-sent event streams hold through middleware.Default, with clients
// that accept gzip (as every EventSource does) and with clients that do
// not: by default a stream must cost no more than 2 KiB more with gzip.
// With Compress's Streams set, that many streams are compressed and the
// rest are not.
func TestCompressStreamHeapThroughDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 200 connections")
	}
	const n = 200
	route := micro.Handler(func(r *http.Request) (any, error) {
		return micro.Stream(func(yield func(string) bool) {
			if yield("tick") {
				<-r.Context().Done()
			}
		}), nil
	})
	measure := func(t *testing.T, cfg middleware.CompressConfig, encoding string) (perStream float64, gzipped int) {
		t.Helper()
		logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
		srv := httptest.NewServer(middleware.Default(middleware.DefaultConfig{Logger: logger, Compress: cfg}).Then(route))
		defer srv.Close()
		before := compressStreamHeap()
		gzipped, closeAll := compressStreamOpen(t, srv, n, encoding)
		after := compressStreamHeap()
		closeAll()
		return (float64(after) - float64(before)) / n, gzipped
	}

	measure(t, middleware.CompressConfig{}, "identity") // warms up what the first connections initialise once
	identity, _ := measure(t, middleware.CompressConfig{}, "identity")
	gzip, gzipped := measure(t, middleware.CompressConfig{}, "gzip, deflate, br")
	t.Logf("heap per open stream through Default: %.0f B without gzip, %.0f B with gzip accepted (%d of %d compressed): %+.0f B",
		identity, gzip, gzipped, n, gzip-identity)
	if gzipped != 0 {
		t.Errorf("%d of %d streams compressed by default, want none", gzipped, n)
	}
	if gzip-identity > 2048 {
		t.Errorf("a stream whose client accepts gzip holds %.0f B more heap than one whose client does not, want at most 2048", gzip-identity)
	}

	const bound = 20
	optIn, gzipped := measure(t, middleware.CompressConfig{Streams: bound}, "gzip")
	t.Logf("with Streams: %d, %d of %d compressed: %.0f B more heap per compressed stream",
		bound, gzipped, n, (optIn-identity)*n/bound)
	if gzipped != bound {
		t.Errorf("with Streams: %d, %d of %d streams compressed, want %d", bound, gzipped, n, bound)
	}
}

// compressStreamOpenOne serves, in its own goroutine, a gzip-accepting
// request for an event stream through mw that writes an event, flushes and
// waits. It returns once the stream is open, with its Content-Encoding
// and a function that ends it and waits for the handler to return.
func compressStreamOpenOne(mw func(http.Handler) http.Handler) (encoding string, end func()) {
	started, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	go func() {
		defer close(done)
		mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: 1\n\n")
			w.(http.Flusher).Flush()
			close(started)
			<-release
		})).ServeHTTP(w, r)
	}()
	<-started // the header was decided at the flush
	return w.Header().Get("Content-Encoding"), func() {
		close(release)
		<-done
	}
}

func TestCompressStreamsBoundsTheCompressedStreams(t *testing.T) {
	mw := middleware.Compress(middleware.CompressConfig{Streams: 1})
	enc1, end1 := compressStreamOpenOne(mw)
	enc2, end2 := compressStreamOpenOne(mw)
	end1()
	enc3, end3 := compressStreamOpenOne(mw)
	end2()
	enc4, end4 := compressStreamOpenOne(middleware.Compress(middleware.CompressConfig{Streams: 1}))
	end4()
	end3()
	got := []string{enc1, enc2, enc3, enc4}
	want := []string{
		"gzip", // the one slot
		"",     // while the first is open
		"gzip", // the first has ended: its slot is free
		"gzip", // another Compress, while the third is open: its own slot
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Content-Encoding of the streams (-want +got):\n%s", diff)
	}
}

func TestCompressStreamSlotIsGivenBackOnPanic(t *testing.T) {
	mw := middleware.Compress(middleware.CompressConfig{Streams: 1})
	panicking := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		io.WriteString(w, "1\n")
		w.(http.Flusher).Flush()
		panic("boom")
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	if msg := panicMessage(func() { panicking.ServeHTTP(w, r) }); msg != "boom" {
		t.Fatalf("panic = %q, want the handler's", msg)
	}
	if got := w.Header().Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("the panicking stream: Content-Encoding %q, want gzip", got)
	}
	enc, end := compressStreamOpenOne(mw)
	end()
	if enc != "gzip" {
		t.Errorf("the next stream: Content-Encoding %q, want gzip (the slot was given back)", enc)
	}
}

func TestCompressStreamsValidate(t *testing.T) {
	var ce *middleware.ConfigError
	err := middleware.CompressConfig{Streams: -1}.Validate()
	if !errors.As(err, &ce) || ce.Middleware != "Compress" || ce.Error() != "middleware: Compress Streams -1 is negative" {
		t.Errorf("Validate() = %v, want the ConfigError of Compress for Streams -1", err)
	}
	for _, n := range []int{0, 1, 1 << 20} {
		if err := (middleware.CompressConfig{Streams: n}).Validate(); err != nil {
			t.Errorf("Streams %d: Validate() = %v, want nil", n, err)
		}
	}
}
