package send_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/microkit-go/micro/send"
)

// A client that stops reading, without closing the connection, ends the
// stream once a frame has waited WriteTimeout for it.
func ExampleStream_writeTimeout() {
	stopped := make(chan struct{})
	s := &send.Stream{
		WriteTimeout: 100 * time.Millisecond,
		Items: func(_ context.Context, yield func(any, error) bool) {
			defer close(stopped)
			item := strings.Repeat("x", 64<<10)
			for range 10000 { // 640 MiB: far more than the socket buffers hold
				if !yield(item, nil) {
					fmt.Println("yield returned false: the client stopped reading")
					return
				}
			}
			fmt.Println("every item was sent")
		},
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	// A client that reads the header, then nothing more.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET / HTTP/1.1\r\nHost: example\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Header.Get("Content-Type"))
	<-stopped
	// Output:
	// 200 OK application/x-ndjson
	// yield returned false: the client stopped reading
}
