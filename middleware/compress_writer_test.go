package middleware_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/middleware"
)

// compressSpy is a response writer that records what reaches it.
type compressSpy struct {
	*httptest.ResponseRecorder
	readFroms   int  // ReadFrom calls
	hijacked    bool // Hijack succeeded
	afterHijack int  // WriteHeader and Write calls after Hijack
}

func compressNewSpy() *compressSpy { return &compressSpy{ResponseRecorder: httptest.NewRecorder()} }

func (s *compressSpy) WriteHeader(code int) {
	if s.hijacked {
		s.afterHijack++
	}
	s.ResponseRecorder.WriteHeader(code)
}

func (s *compressSpy) Write(p []byte) (int, error) {
	if s.hijacked {
		s.afterHijack++
		return 0, http.ErrHijacked
	}
	return s.ResponseRecorder.Write(p)
}

func (s *compressSpy) ReadFrom(src io.Reader) (int64, error) {
	s.readFroms++
	return io.Copy(s.ResponseRecorder, src)
}

func (s *compressSpy) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.hijacked = true
	return nil, nil, nil
}

func TestCompressReadFrom(t *testing.T) {
	tests := []struct {
		name          string
		header        []string
		body          string
		wantReadFroms int
		want          compressResult
	}{
		{"a type not listed reaches the wrapped ReadFrom", []string{"Content-Type", "image/png"},
			compressBig, 1, compressResult{Status: 200, Type: "image/png", Body: compressBig}},
		{"a short body with Content-Length reaches the wrapped ReadFrom",
			[]string{"Content-Type", "text/plain", "Content-Length", "100"},
			compressSmall, 1, compressResult{Status: 200, Vary: compressVary, Length: "100", Type: "text/plain", Body: compressSmall}},
		{"a listed type is copied through gzip", []string{"Content-Type", "text/plain"},
			compressBig, 0, compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "text/plain", Body: compressBig}},
		{"a 1 MB body is copied through gzip", []string{"Content-Type", "text/plain"},
			compressText("big", 1<<20), 0,
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "text/plain", Body: compressText("big", 1<<20)}},
		{"a short body of unknown length is buffered and sent as it is", []string{"Content-Type", "text/plain"},
			compressSmall, 0, compressResult{Status: 200, Vary: compressVary, Type: "text/plain", Body: compressSmall}},
		{"a missing type is sniffed from what ReadFrom reads", nil,
			"<html>" + compressBig, 0,
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "text/html; charset=utf-8", Body: "<html>" + compressBig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := func(w http.ResponseWriter, r *http.Request) {
				for i := 0; i < len(tt.header); i += 2 {
					w.Header().Set(tt.header[i], tt.header[i+1])
				}
				src := struct{ io.Reader }{strings.NewReader(tt.body)} // no WriteTo: io.Copy calls ReadFrom
				n, err := io.Copy(w, src)
				if err != nil || n != int64(len(tt.body)) {
					t.Errorf("io.Copy = %d, %v; want %d, nil", n, err, len(tt.body))
				}
			}
			spy := compressNewSpy()
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", "gzip")
			middleware.Compress(middleware.CompressConfig{})(http.HandlerFunc(h)).ServeHTTP(spy, r)
			if spy.readFroms != tt.wantReadFroms {
				t.Errorf("wrapped ReadFrom called %d times, want %d", spy.readFroms, tt.wantReadFroms)
			}
			if diff := cmp.Diff(tt.want, compressRead(t, spy.Result())); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompressHijackWritesNothingAfter(t *testing.T) {
	tests := []struct {
		name   string
		before func(w http.ResponseWriter)
	}{
		{"hijack before any write", func(w http.ResponseWriter) {}},
		{"hijack while compressing", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, compressBig)
		}},
		{"hijack with a short body buffered", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, compressSmall)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spy := compressNewSpy()
			h := func(w http.ResponseWriter, r *http.Request) {
				tt.before(w)
				if _, _, err := http.NewResponseController(w).Hijack(); err != nil {
					t.Fatalf("Hijack: %v", err)
				}
				if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrHijacked) {
					t.Errorf("Write after Hijack = %v, want http.ErrHijacked", err)
				}
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", "gzip")
			middleware.Compress(middleware.CompressConfig{})(http.HandlerFunc(h)).ServeHTTP(spy, r)
			if spy.afterHijack != 0 {
				t.Errorf("%d writes reached the hijacked connection", spy.afterHijack)
			}
		})
	}
}

func TestCompressHijackOnARealServer(t *testing.T) {
	srv := httptest.NewServer(middleware.Compress(middleware.CompressConfig{})(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer c.Close()
			brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
			brw.Flush()
		})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(compressResult{Status: 200, Length: "2", Body: "hi"}, compressRead(t, res)); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestCompressFlushStreamsServerSentEvents(t *testing.T) {
	second := make(chan struct{})
	srv := httptest.NewServer(middleware.Compress(middleware.CompressConfig{Streams: 1})(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: one\n\n")
			w.(http.Flusher).Flush()
			select {
			case <-second: // the client has read the first event
			case <-r.Context().Done():
				return
			}
			io.WriteString(w, "data: two\n\n")
		})))
	defer srv.Close()

	// A guard against hanging, not a timing assertion: without the flush
	// the first read blocks until this ends the request.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if got := res.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(zr)
	// The handler is blocked until this read returns: the first event
	// arrives only if Flush pushed it through gzip and the connection.
	if got, err := lines.ReadString('\n'); got != "data: one\n" || err != nil {
		t.Fatalf("first line = %q, %v", got, err)
	}
	close(second)
	rest, err := io.ReadAll(lines)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rest); got != "\ndata: two\n\n" {
		t.Errorf("rest = %q", got)
	}
}

func TestCompressSendsInformationalStatuses(t *testing.T) {
	srv := httptest.NewServer(middleware.Compress(middleware.CompressConfig{})(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, compressBig)
		})))
	defer srv.Close()
	var got []int
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
		got = append(got, code)
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", srv.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{103}, got); diff != "" {
		t.Errorf("1xx statuses (-want +got):\n%s", diff)
	}
	final := compressRead(t, res)
	final.Length = "" // net/http sets it for a short compressed body
	want := compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "text/html", Body: compressBig}
	if diff := cmp.Diff(want, final); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestCompressPanicWritesNoTrailer(t *testing.T) {
	mw := middleware.Compress(middleware.CompressConfig{})
	tests := []struct {
		name       string
		write      string
		wantHeader bool // whether the header had gone out before the panic
	}{
		{"a panic before MinSize sends nothing, so a 500 can still be written", compressSmall, false},
		{"a panic while compressing leaves the gzip stream unterminated", compressText("x", 100000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spy := &compressHeaderSpy{ResponseRecorder: httptest.NewRecorder()}
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, tt.write)
				panic("boom")
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", "gzip")
			if msg := panicMessage(func() { h.ServeHTTP(spy, r) }); msg != "boom" {
				t.Fatalf("panic = %q, want the handler's panic re-raised", msg)
			}
			if spy.wroteHeader != tt.wantHeader {
				t.Errorf("header written = %v, want %v", spy.wroteHeader, tt.wantHeader)
			}
			if !tt.wantHeader {
				return
			}
			zr, err := gzip.NewReader(spy.Body)
			if err == nil {
				_, err = io.ReadAll(zr)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the aborted body: %v, want io.ErrUnexpectedEOF (no trailer)", err)
			}
		})
	}
	// The middleware keeps working after the panics.
	got := compressDo(t, middleware.CompressConfig{}, "GET", "gzip", compressWrite(0, compressBig, "Content-Type", "text/plain"))
	if got.Body != compressBig || got.Encoding != "gzip" {
		t.Errorf("after a panic: encoding %q, body of %d bytes", got.Encoding, len(got.Body))
	}
}

// compressHeaderSpy records whether WriteHeader reached the recorder.
type compressHeaderSpy struct {
	*httptest.ResponseRecorder
	wroteHeader bool
}

func (s *compressHeaderSpy) WriteHeader(code int) {
	s.wroteHeader = true
	s.ResponseRecorder.WriteHeader(code)
}

func (s *compressHeaderSpy) Write(p []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseRecorder.Write(p)
}

func TestCompressUnwrap(t *testing.T) {
	spy := compressNewSpy()
	var got http.ResponseWriter
	h := middleware.Compress(middleware.CompressConfig{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = w.(interface{ Unwrap() http.ResponseWriter }).Unwrap()
	}))
	h.ServeHTTP(spy, httptest.NewRequest("GET", "/", nil))
	if got != http.ResponseWriter(spy) {
		t.Errorf("Unwrap returned %T, want the wrapped writer", got)
	}
}

func TestCompressConcurrentRequestsNeverShareWriters(t *testing.T) {
	h := middleware.Compress(middleware.CompressConfig{MinSize: 512})(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			id := r.URL.Query().Get("id")
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			w.Header().Set("Content-Type", "text/plain")
			body := compressText(id, n)
			for len(body) > 0 { // uneven writes, so buffers and streams interleave
				k := min(len(body), 700)
				io.WriteString(w, body[:k])
				body = body[k:]
			}
		}))
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				id := fmt.Sprintf("g%d-r%d", g, i)
				n := 100 + (g*7919+i*104729)%40000
				r := httptest.NewRequest("GET", fmt.Sprintf("/?id=%s&n=%d", id, n), nil)
				r.Header.Set("Accept-Encoding", "gzip")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				body := w.Body.Bytes()
				if w.Header().Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err == nil {
						body, err = io.ReadAll(zr)
					}
					if err != nil {
						t.Errorf("request %s: %v", id, err)
						return
					}
				}
				if string(body) != compressText(id, n) {
					t.Errorf("request %s: body differs from its own", id)
					return
				}
			}
		}()
	}
	wg.Wait()
}
