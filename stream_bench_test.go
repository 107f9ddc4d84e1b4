//go:build linux || darwin

package micro_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

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
			if diff := cmp.Diff(baseBody, microBody); diff != "" {
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
