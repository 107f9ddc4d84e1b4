package middleware

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/internal/testkit"
)

// timeoutGuard bounds every wait of these tests. The code answers within
// the middleware's deadline (50ms); the guard only turns a hang into a
// failure, so the tests assert no time.
const timeoutGuard = 10 * time.Second

// timeoutBodyRoute reads the whole body, ignoring its context, and then
// tries once more; it reports both errors on reads when it returns.
type timeoutBodyRoute struct {
	reads chan [2]error
}

func newTimeoutBodyRoute() *timeoutBodyRoute {
	return &timeoutBodyRoute{reads: make(chan [2]error, 1)}
}

func (b *timeoutBodyRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var errs [2]error
	_, errs[0] = io.ReadAll(r.Body)
	_, errs[1] = r.Body.Read(make([]byte, 8))
	b.reads <- errs
}

// wait returns the route's read errors once it has returned.
func (b *timeoutBodyRoute) wait(t *testing.T) [2]error {
	t.Helper()
	select {
	case errs := <-b.reads:
		return errs
	case <-time.After(timeoutGuard):
		t.Fatal("the route is still blocked reading the body")
		return [2]error{}
	}
}

// timeoutSend writes req on a new connection to addr and reads the
// response; more responses can be read from the returned reader.
func timeoutSend(t *testing.T, addr, req string) (*http.Response, string, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(timeoutGuard)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, body := timeoutRead(t, br)
	return res, body, br
}

// timeoutRead reads a response from br.
func timeoutRead(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("no answer within the guard of %v", timeoutGuard)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// timeoutIs503 checks that res and body are Timeout's 503 problem.
func timeoutIs503(t *testing.T, res *http.Response, body string) {
	t.Helper()
	p := testkit.Problem(t, res.Header, []byte(body))
	if res.StatusCode != 503 || p.Status != 503 || !strings.Contains(p.Detail, "did not start its response") {
		t.Errorf("got %d %q, want the 503 problem", res.StatusCode, body)
	}
}

func TestTimeoutAnswersWhileTheRouteIsBlockedOnTheBody(t *testing.T) {
	const d = 50 * time.Millisecond
	quiet := DefaultConfig{Logger: slog.New(slog.DiscardHandler)}
	for _, tt := range []struct {
		name  string
		chain func(http.Handler) http.Handler
		head  string
		part  string
	}{
		{
			name:  "Content-Length body stalled, Timeout alone",
			chain: func(h http.Handler) http.Handler { return timeoutQuiet(Timeout(d)(h)) },
			head:  "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
			part:  `{"partial":`,
		},
		{
			name:  "chunked body stalled, Timeout alone",
			chain: func(h http.Handler) http.Handler { return timeoutQuiet(Timeout(d)(h)) },
			head:  "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
			part:  "b\r\n{\"partial\":\r\n",
		},
		{
			name:  "Content-Length body stalled, Timeout inside Default (BodyLimit)",
			chain: Default(quiet).Append(Timeout(d)).Then,
			head:  "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
			part:  `{"partial":`,
		},
		{
			name: "chunked body stalled under the limit, Timeout inside Default (BodyLimit 16)",
			chain: func() func(http.Handler) http.Handler {
				cfg := quiet
				cfg.BodyLimit = 16
				return Default(cfg).Append(Timeout(d)).Then
			}(),
			head: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
			part: "b\r\n{\"partial\":\r\n",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			route := newTimeoutBodyRoute()
			srv := timeoutServer(t, tt.chain(route))                                       // no ReadTimeout
			res, body, br := timeoutSend(t, srv.Listener.Addr().String(), tt.head+tt.part) // and no more
			timeoutIs503(t, res, body)
			if !res.Close {
				t.Errorf("Connection = %q, want close: the body was left unread", res.Header.Get("Connection"))
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("after the 503 the connection gave %v, want io.EOF (closed)", err)
			}
			errs := route.wait(t)
			if errs[0] == nil {
				t.Error("the route's blocked read returned no error")
			}
			if !errors.Is(errs[1], http.ErrHandlerTimeout) {
				t.Errorf("a read after the 503 returned %v, want http.ErrHandlerTimeout", errs[1])
			}
		})
	}
}

// A read that passes BodyLimit tells net/http's response to close the
// connection; the 503 written at the deadline must not race with it. The
// route reads past the limit, then waits, touching nothing the middleware
// touches (not even its context), so only the middleware can order the
// two. Run with -race.
func TestTimeoutBodyPastTheLimitThen503IsRaceFree(t *testing.T) {
	const d = 50 * time.Millisecond
	cfg := DefaultConfig{Logger: slog.New(slog.DiscardHandler), BodyLimit: 16}
	release := make(chan struct{})
	srv := timeoutServer(t, Default(cfg).Append(Timeout(d)).Then(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // stops at the limit, with *http.MaxBytesError
		<-release
	})))
	t.Cleanup(func() { close(release) }) // before the server closes
	chunk := strings.Repeat("x", 40)
	res, body, _ := timeoutSend(t, srv.Listener.Addr().String(),
		"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n28\r\n"+chunk+"\r\n0\r\n\r\n")
	timeoutIs503(t, res, body)
	if !res.Close {
		t.Errorf("Connection = %q, want close: the body passed the limit", res.Header.Get("Connection"))
	}
}

// A route that read its body to the end before the deadline leaves the
// connection able to carry the next request: the 503 does not close it.
func TestTimeoutBodyReadToItsEndKeepsTheConnection(t *testing.T) {
	const d = 50 * time.Millisecond
	srv := timeoutServer(t, timeoutQuiet(Timeout(d)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, "next")
			return
		}
		_, _ = io.ReadAll(r.Body)
		<-r.Context().Done()
	}))))
	res, body, br := timeoutSend(t, srv.Listener.Addr().String(),
		"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody"+
			"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
	timeoutIs503(t, res, body)
	if res.Close {
		t.Error("the 503 closed the connection, though the body was read to its end")
	}
	if res, body := timeoutRead(t, br); res.StatusCode != 200 || body != "next" {
		t.Errorf("next request on the connection: got %d %q, want 200 \"next\"", res.StatusCode, body)
	}
}

// Over HTTP/2, net/http lets a route end a read blocked on the body by
// closing the body; under Timeout too, so the route answers itself
// rather than waiting for the deadline.
func TestTimeoutBodyCloseEndsAReadInFlight(t *testing.T) {
	const d = timeoutGuard / 2 // far longer than the route takes
	srv := httptest.NewUnstartedServer(timeoutQuiet(Timeout(d)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reading, read := make(chan struct{}), make(chan error, 1)
		go func() {
			_, err := r.Body.Read(make([]byte, 64)) // the part sent
			close(reading)
			if err == nil {
				_, err = io.ReadAll(r.Body) // blocks: the client sends no more
			}
			read <- err
		}()
		<-reading
		time.Sleep(10 * time.Millisecond) // lets the read block, or not: either way it must end
		_ = r.Body.Close()
		_, _ = io.WriteString(w, fmt.Sprint("read ended: ", <-read))
	}))))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	go pw.Write([]byte(`{"partial":`))
	req, err := http.NewRequest("POST", srv.URL, pr)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.ProtoMajor != 2 || res.StatusCode != 200 || !strings.HasPrefix(string(body), "read ended: ") {
		t.Errorf("got %s %d %q; want the route's own HTTP/2 200, its read ended by Close", res.Proto, res.StatusCode, body)
	}
}
