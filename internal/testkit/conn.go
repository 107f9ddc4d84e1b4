package testkit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// Dial connects to srv, for a test that writes its own bytes on the wire.
// The connection is closed when the test ends, and its reads and writes
// fail after Patience, a guard against a test hanging. A failed dial fails
// the test.
func Dial(t testing.TB, srv *httptest.Server) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(Patience)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// Send writes request, bytes as they are, on a new connection to srv (see
// [Dial]) and returns a reader of what the server answers. A failed write
// fails the test.
func Send(t testing.TB, srv *httptest.Server, request string) *bufio.Reader {
	t.Helper()
	conn := Dial(t, srv)
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	return bufio.NewReader(conn)
}

// ReadResponse reads the next response from br, a reader of a connection
// from [Send] or [Dial]. It fails the test if none can be read, saying so
// when none came within Patience.
func ReadResponse(t testing.TB, br *bufio.Reader) *http.Response {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("no answer within %v", Patience)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}
