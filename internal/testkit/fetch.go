package testkit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Response is what a client received: the status, the header and the
// whole body.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Fetch serves h on a loopback server, sends one request with method and
// the header given as name, value pairs (a lone last name is ignored),
// and reads the whole response. The server is closed, so h has returned,
// before Fetch returns. It fails the test if the request or the body
// read fails.
func Fetch(t testing.TB, h http.Handler, method string, header ...string) Response {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	r, err := http.NewRequestWithContext(t.Context(), method, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	res := Do(t, srv.Client(), r)
	srv.Close()
	return res
}

// Do sends r with client and reads the whole response. It fails the test
// if the request or the body read fails.
func Do(t testing.TB, client *http.Client, r *http.Request) Response {
	t.Helper()
	res, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("reading the body: %v (read %q)", err, b)
	}
	return Response{res.StatusCode, res.Header, string(b)}
}
