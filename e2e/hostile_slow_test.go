package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileSlowCases are the clients that take their time: the server must
// bound them by its read timeouts and serve others meanwhile.
func hostileSlowCases() []hostileCase {
	return []hostileCase{
		{
			name:     "headers trickled byte by byte are cut off at ReadHeaderTimeout while others are served",
			exchange: hostileSlowloris,
			closed:   true,
		},
		{
			name:     "a body that stalls after its headers is 408 at ReadTimeout, and nothing is stored",
			exchange: hostileStalledBody,
			want:     []hostileWant{{status: 408, detail: "Invalid body: it did not arrive in time"}},
			closed:   true,
		},
		{
			name:     "a body shorter than its Content-Length, then the client's EOF, is 400 at once, and nothing is stored",
			exchange: hostileShortBodyThenEOF,
			want:     []hostileWant{{status: 400, detail: "Invalid body: the request body could not be read"}},
			closed:   true,
		},
	}
}

// hostileSlowloris trickles a request's headers one byte at a time, far
// slower than ReadHeaderTimeout allows. While it trickles, another client
// must be served; then the server must close the connection before the
// headers are complete. What it sends first depends on where the deadline
// cuts the headers, which is timing: inside a header value, the partial
// line parses and the read timeout ends the connection silently; inside
// the request line or a header name, net/http's line reader hands over the
// partial line, which does not parse, and net/http writes its plain 400
// before closing. Both are accepted, nothing else.
func hostileSlowloris(t *testing.T, h *hostileServer) hostileExchange {
	t.Helper()
	conn := h.dial(t)
	defer conn.Close()
	// 2 KB at a byte every 20 ms would take 40 s; the server gives 2 s.
	head := "GET /api/comments HTTP/1.1\r\nHost: hostile.test\r\nX-Slow: " + strings.Repeat("s", 2000) + "\r\n\r\n"

	stop := make(chan struct{})
	started := make(chan struct{})
	trickled := make(chan int, 1) // bytes written when the trickle ended
	go func() {
		n := 0
		defer func() { trickled <- n }()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n < len(head) {
			if _, err := conn.Write([]byte{head[n]}); err != nil {
				return // the server closed the connection
			}
			if n++; n == 4 { // net/http waits for 4 bytes, then starts the clock
				close(started)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	closedAt := make(chan error, 1) // the server closed: the read's error
	go func() {
		conn.SetReadDeadline(time.Now().Add(hostileWait))
		b, err := io.ReadAll(conn)
		if len(b) > 0 && string(b) != hostileStd400 {
			err = fmt.Errorf("the server sent %q, want nothing or net/http's plain 400", b)
		}
		closedAt <- err
	}()

	select {
	case <-started:
	case n := <-trickled:
		t.Fatalf("the first %d bytes could not be written", n)
	}
	ex := h.do(t, &hostileReq{method: "GET", path: "/api/comments/meanwhile"})
	select {
	case err := <-closedAt:
		t.Fatalf("the slow connection ended (%v) before the other client was served", err)
	default:
	}
	if ex.replies[0].status != http.StatusOK {
		t.Errorf("another client during the slowloris: %d %s", ex.replies[0].status, ex.replies[0].body)
	}

	err := <-closedAt
	close(stop)
	n := <-trickled
	if n == len(head) {
		t.Errorf("all %d bytes of the headers were accepted", n)
	}
	closed := err == nil || errors.Is(err, syscall.ECONNRESET) // io.ReadAll's EOF is nil
	if !closed {
		t.Errorf("the slow connection: %v, want the server to close it", err)
	}
	return hostileExchange{closed: closed}
}

// hostileStd400 is net/http's whole answer to a request it cannot parse.
const hostileStd400 = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"

// hostileStalledBody declares a body of 100 bytes, sends 10 and then
// nothing: the route's read fails at the server's ReadTimeout.
func hostileStalledBody(t *testing.T, h *hostileServer) hostileExchange {
	t.Helper()
	return h.partialBody(t, func(*net.TCPConn) {})
}

// hostileShortBodyThenEOF declares a body of 100 bytes, sends 10 and
// closes its side of the connection.
func hostileShortBodyThenEOF(t *testing.T, h *hostileServer) hostileExchange {
	t.Helper()
	return h.partialBody(t, func(c *net.TCPConn) {
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
	})
}

// partialBody sends a POST that declares 100 bytes of body and sends 10,
// calls then, and reads the one response within hostileWait.
func (h *hostileServer) partialBody(t *testing.T, then func(*net.TCPConn)) hostileExchange {
	t.Helper()
	conn := h.dial(t)
	defer conn.Close()
	_, err := io.WriteString(conn, "POST /api/comments HTTP/1.1\r\nHost: hostile.test\r\n"+
		"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"+`{"comment"`)
	if err != nil {
		t.Fatal(err)
	}
	then(conn)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	reply, err := hostileReadReply(res)
	if err != nil {
		t.Fatal(err)
	}
	return hostileExchange{replies: []hostileReply{reply}, closed: hostileClosed(t, conn, br, hostileWait)}
}
