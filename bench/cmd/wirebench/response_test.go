package main

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestResponseReaderReadsFramedResponsesInARow(t *testing.T) {
	stream := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 5\r\n\r\nhello" +
		"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n" +
		"HTTP/1.1 204 No Content\r\n\r\n" +
		"HTTP/1.0 404 \n" + "Content-Length: 0\n\n"
	rr := newResponseReader(strings.NewReader(stream))
	for _, want := range []int{200, 201, 204, 404} {
		got, err := rr.read()
		if err != nil || got != want {
			t.Fatalf("read() = %d, %v; want %d", got, err, want)
		}
	}
	if _, err := rr.read(); err != io.EOF {
		t.Fatalf("read() at the end: %v, want io.EOF", err)
	}
}

func TestResponseReaderRefusesMalformedResponses(t *testing.T) {
	long := strings.Repeat("a", maxHeaderBytes)
	for name, resp := range map[string]string{
		"not HTTP":                 "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
		"two-digit status":         "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
		"status with letters":      "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
		"status glued to reason":   "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n",
		"header without colon":     "HTTP/1.1 200 OK\r\nContent-Length 0\r\n\r\n",
		"negative length":          "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"two lengths":              "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
		"body over the limit":      "HTTP/1.1 200 OK\r\nContent-Length: 1048577\r\n\r\n",
		"no framing":               "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello",
		"gzip transfer coding":     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"connection close":         "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
		"bad chunk size":           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"chunk longer than size":   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
		"chunks over the limit":    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n",
		"header section too large": "HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\n\r\n",
		"too many headers":         "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: b\r\n", maxHeaderBytes/8) + "\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newResponseReader(strings.NewReader(resp)).read()
			if !errors.Is(err, errMalformed) {
				t.Fatalf("read() error = %v, want errMalformed", err)
			}
		})
	}
}

func TestResponseReaderReportsAResponseCutShort(t *testing.T) {
	for name, resp := range map[string]string{
		"in the status line": "HTTP/1.1 200",
		"in the headers":     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
		"in the body":        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
		"in a chunk":         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
		"before the last":    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newResponseReader(strings.NewReader(resp)).read()
			if err == nil || err == io.EOF {
				t.Fatalf("read() error = %v, want an unexpected end", err)
			}
		})
	}
}

func TestResponseReaderAllocatesNothing(t *testing.T) {
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello"
	r := strings.NewReader(resp)
	rr := newResponseReader(r)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(resp)
		rr.br.Reset(r)
		if _, err := rr.read(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per response, want 0", allocs)
	}
}
