package e2e

// Hostile input, end to end: the server of examples/comments
// (api.NewServer), over real TCP on 127.0.0.1, behind the full chain of
// api.Chain, fed malformed and
// hostile requests. Each case asserts its documented status and body, and
// after each one the server still serves; after all of them no goroutine is
// left and the data file holds exactly the seed plus what the valid POSTs
// stored.
//
// This file starts the server and holds the test; hostile_check_test.go
// has the case type and the checks every response goes through;
// hostile_cases_test.go the table; hostile_wire_test.go the cases only a
// raw TCP connection can send (lying lengths, broken framing, bad header
// lines); hostile_slow_test.go the clients that need their own timing
// (slowloris, a stalled body, a body cut short).

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/examples/comments/api"
	"github.com/microkit-go/micro/internal/testkit"
)

// hostileCookieKey is the fixed 32-byte key that signs the visitor cookie.
const hostileCookieKey = "hostile-test-key-0123456789abcde"

// hostileOrigin is the one cross-origin page the server trusts.
const hostileOrigin = "https://app.example.com"

// hostileWait bounds every wait of the test for the server: generous, so a
// loaded machine is not a failure, and still finite, so a hang is one.
const hostileWait = 15 * time.Second

// hostileGeneratedID is the form of an X-Request-Id that RequestID made.
var hostileGeneratedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// hostileServer is examples/comments as its program serves it, with a file-backed
// store, plus one test-only route that panics, and what the test knows
// about it.
type hostileServer struct {
	*server
	path   string       // the data file
	log    *testkit.Log // slog JSON lines
	tr     *http.Transport
	client *http.Client  // no compression of its own: the test sees the wire
	want   []api.Comment // the seed plus every comment a case stored
}

// hostilePanicPath is the test-only route that panics. The example has no
// such route; it stands for a bug in any route, to show what the chain does
// with it.
const hostilePanicPath = "/api/panic"

// hostilePanicText is the panic's value, which must never reach the client.
const hostilePanicText = "hostile: secret panic text /etc/passwd"

// hostilePanic is the handler of hostilePanicPath: a plain http.Handler, so
// the panic is answered by the chain's Recover, not by micro.Handler.
func hostilePanic(http.ResponseWriter, *http.Request) {
	panic(hostilePanicText)
}

// hostileStart starts the server on 127.0.0.1:0: handler =
// api.Chain(cfg).Then(mux), with mux the example's routes plus
// hostilePanicPath, served by api.NewServer (see startServer).
func hostileStart(t *testing.T) *hostileServer {
	t.Helper()
	seed := api.Seed()
	h := &hostileServer{
		path: filepath.Join(t.TempDir(), "comments.json"),
		log:  &testkit.Log{},
		want: seed,
	}
	s, err := api.OpenStore(h.path, seed)
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{
		Logger:      h.log.JSONLogger(slog.LevelInfo),
		CORSOrigins: []string{hostileOrigin},
		CookieKey:   []byte(hostileCookieKey),
	}
	mux := api.Routes(s, cfg)                      // as api.NewHandler builds it
	mux.HandleFunc(hostilePanicPath, hostilePanic) // test-only
	h.server = startServer(t, api.Chain(cfg).Then(mux), cfg.Logger, hostileWait, func(srv *http.Server) {
		// The example waits 5 s for headers and 30 s for a whole request;
		// the slowloris and stalled-body cases would take that long, so
		// the test shortens both. Nothing else is changed.
		srv.ReadHeaderTimeout = 2 * time.Second
		srv.ReadTimeout = 3 * time.Second
	})

	h.tr = &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}
	h.client = &http.Client{
		Transport: h.tr,
		Timeout:   hostileWait,
		// Redirects are answers to check, not to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(h.tr.CloseIdleConnections)
	return h
}

// stop shuts the server down gracefully, as the program does, and checks
// that Serve returned http.ErrServerClosed.
func (h *hostileServer) stop(t *testing.T) {
	t.Helper()
	h.tr.CloseIdleConnections()
	if err := h.shutdown(); err != nil {
		t.Error(err)
	}
}

// requestLines returns the "request" records of Logger whose request_id is
// id.
func (h *hostileServer) requestLines(t *testing.T, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range h.log.Lines(t) {
		if rec["msg"] == "request" && rec["request_id"] == id {
			out = append(out, rec)
		}
	}
	return out
}

// lineFor waits for Logger's line for the request id, which is written
// when the chain returns, possibly just after the client has the response.
func (h *hostileServer) lineFor(t *testing.T, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(hostileWait)
	for {
		switch recs := h.requestLines(t, id); {
		case len(recs) == 1:
			return recs[0]
		case len(recs) > 1:
			t.Fatalf("%d log lines for request %s, want one: %v", len(recs), id, recs)
		case time.Now().After(deadline):
			t.Fatalf("no log line for request %s", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hostileReply is what the client received: one response, its body read
// whole (and gunzipped when it came gzipped).
type hostileReply struct {
	status int
	header http.Header
	body   []byte
	gzip   bool // the body came gzipped
	close  bool // the response said Connection: close
}

// hostileReadReply reads res whole and closes its body.
func hostileReadReply(res *http.Response) (hostileReply, error) {
	defer res.Body.Close()
	r := hostileReply{status: res.StatusCode, header: res.Header, close: res.Close}
	var body io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			return r, err
		}
		body, r.gzip = zr, true
	}
	b, err := io.ReadAll(body)
	r.body = b
	return r, err
}

// hostileExchange is what one case saw: its responses, and whether the
// server then closed the connection (raw connections only).
type hostileExchange struct {
	replies []hostileReply
	closed  bool
}

// do sends r with the test's client.
func (h *hostileServer) do(t *testing.T, r *hostileReq) hostileExchange {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), r.method, "http://"+h.addr+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(r.header); i += 2 {
		req.Header.Add(r.header[i], r.header[i+1])
	}
	res, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %.80s: %v", r.method, r.path, err)
	}
	reply, err := hostileReadReply(res)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	return hostileExchange{replies: []hostileReply{reply}}
}

// dial opens a TCP connection to the server whose reads and writes fail
// after hostileWait; t fails if it cannot connect.
func (h *hostileServer) dial(t *testing.T) *net.TCPConn {
	t.Helper()
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(hostileWait))
	return conn.(*net.TCPConn)
}

// raw writes payload on a new TCP connection, reads n responses (to a
// request of method method), then waits for the server to close the
// connection when closeWait is positive. The write runs beside the reads,
// so a server that answers before it has read everything is seen as it is.
func (h *hostileServer) raw(t *testing.T, method, payload string, n int, closeWait time.Duration) hostileExchange {
	t.Helper()
	conn := h.dial(t)
	defer conn.Close()
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		io.WriteString(conn, payload) // the server may close before it has read it all
	}()
	defer func() { conn.Close(); <-wrote }()
	br := bufio.NewReader(conn)
	var ex hostileExchange
	for i := range n {
		res, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("response %d of %d: %v", i+1, n, err)
		}
		reply, err := hostileReadReply(res)
		if err != nil {
			t.Fatalf("response %d of %d, body: %v", i+1, n, err)
		}
		ex.replies = append(ex.replies, reply)
	}
	if closeWait > 0 {
		ex.closed = hostileClosed(t, conn, br, closeWait)
	}
	return ex
}

// hostileClosed reports whether the server closes conn within wait, sending
// nothing more.
func hostileClosed(t *testing.T, conn net.Conn, br *bufio.Reader, wait time.Duration) bool {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(wait))
	b, err := br.Peek(1)
	switch {
	case len(b) > 0:
		rest, _ := io.ReadAll(io.LimitReader(br, 200))
		t.Errorf("unexpected bytes after the responses: %q", rest)
		return false
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		return true
	}
	return false
}

// stillServes checks that GET /api/comments is 200 with exactly h.want:
// the server survived the case, and the case stored nothing it should not.
func (h *hostileServer) stillServes(t *testing.T) {
	t.Helper()
	ex := h.do(t, &hostileReq{method: "GET", path: "/api/comments"})
	r := ex.replies[0]
	if r.status != http.StatusOK {
		t.Fatalf("after the case, GET /api/comments = %d %s", r.status, r.body)
	}
	var got []api.Comment
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("after the case, GET /api/comments: %v\n%s", err, r.body)
	}
	if diff := cmp.Diff(h.want, got); diff != "" {
		t.Errorf("after the case, the comments (-want +got):\n%s", diff)
	}
}

// hostileGoroutinesBack waits for the number of goroutines to come back to
// at most before, and fails with their stacks if it does not.
func hostileGoroutinesBack(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(hostileWait)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("%d goroutines after shutdown, %d before the server started:\n%s",
				runtime.NumGoroutine(), before, buf)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHostileInputEndToEnd sends every case of hostileCases to the real
// server over TCP. Each gets its documented status and body (an RFC 9457
// problem from the chain, or net/http's own plain 400/431/501 and a closed
// connection for what never reaches it), and the server serves the next
// request; at the end no goroutine is left behind and the data file, and a
// store reopened from it, hold exactly the seed plus the comments the valid
// POSTs stored.
func TestHostileInputEndToEnd(t *testing.T) {
	before := runtime.NumGoroutine()
	h := hostileStart(t)
	cases := hostileCases(t)
	if len(cases) < 40 {
		t.Errorf("%d cases, want at least 40", len(cases))
	}
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("two cases named %q", c.name)
		}
		names[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			h.run(t, c)
			h.stillServes(t)
		})
	}

	h.checkLog(t)
	h.stop(t)
	hostileGoroutinesBack(t, before)

	if file, err := api.ReadLog(h.path); err != nil {
		t.Error(err)
	} else if diff := cmp.Diff(h.want, file); diff != "" {
		t.Errorf("the data file (-want +got):\n%s", diff)
	}
	restarted, err := api.OpenStore(h.path, nil)
	if err != nil {
		t.Fatalf("reopening the data file: %v", err)
	}
	if diff := cmp.Diff(h.want, restarted.List()); diff != "" {
		t.Errorf("after a restart (-want +got):\n%s", diff)
	}
	if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(h.path), ".*.tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
}

// checkLog checks the whole log: one Logger line per request ID, and no
// panic that reached net/http (which would log "panic serving").
func (h *hostileServer) checkLog(t *testing.T) {
	t.Helper()
	perID := map[string]int{}
	recs := h.log.Lines(t)
	for _, rec := range recs {
		if msg, _ := rec["msg"].(string); strings.Contains(msg, "panic serving") {
			t.Errorf("a panic reached net/http: %v", rec)
		}
		if rec["msg"] == "request" {
			id, _ := rec["request_id"].(string)
			perID[id]++
		}
	}
	for id, n := range perID {
		if n != 1 {
			t.Errorf("%d log lines for request %q, want one", n, id)
		}
	}
	t.Logf("%d requests through the chain, %d log lines", len(perID), len(recs))
}
