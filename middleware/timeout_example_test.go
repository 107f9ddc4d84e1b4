package middleware_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/microkit-go/micro/middleware"
)

// A route that has not started its response by the deadline gets a 503
// problem at the deadline; a route that has started streaming keeps going.
func ExampleTimeout() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Partial", "never sent") // not in the 503
		select {
		case <-time.After(time.Minute): // a slow query, say
			io.WriteString(w, "done")
		case <-r.Context().Done(): // the deadline: give up
		}
	})
	mux.HandleFunc("GET /ticks", func(w http.ResponseWriter, r *http.Request) {
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(w, "tick %d\n", i)
			http.NewResponseController(w).Flush() // started: the deadline is lifted
			time.Sleep(30 * time.Millisecond)     // 90ms in all, past the 50ms
		}
	})
	// The 503 is a 5xx, so send.Error logs it; discard that here.
	quiet := middleware.ErrorLogger(slog.New(slog.DiscardHandler))
	h := quiet(middleware.Timeout(50 * time.Millisecond)(mux))

	for _, path := range []string{"/slow", "/ticks"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Printf("%d %s, X-Partial: %q\n", w.Code, w.Header().Get("Content-Type"), w.Header().Get("X-Partial"))
		fmt.Println(strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 503 application/problem+json, X-Partial: ""
	// {"type":"about:blank","title":"Service Unavailable","status":503,"detail":"the server did not start its response within 50ms"}
	// 200 text/plain; charset=utf-8, X-Partial: ""
	// tick 1
	// tick 2
	// tick 3
}

// A client that stops sending its body does not hold the route's answer:
// at the deadline the route's read ends and the 503 closes the connection,
// even on a server without ReadTimeout.
func ExampleTimeout_stalledBody() {
	quiet := middleware.ErrorLogger(slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(quiet(middleware.Timeout(50 * time.Millisecond)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body) // waits for the rest of the body
			if err != nil {
				return // the deadline ended the read: the 503 is on its way
			}
			io.WriteString(w, "read it all")
		}))))
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard for the example, never reached
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: example\r\nContent-Length: 100\r\n\r\n{\"partial\":")
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.StatusCode, "Connection: close =", res.Close)
	// Output:
	// 503 Connection: close = true
}
