package state_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/internal/testkit"
)

func TestAttachClonesOnce(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r1, s1 := state.Attach(r)
	r2, s2 := state.Attach(r1)
	if r1 == r || r2 != r1 || s1 != s2 || state.From(r2.Context()) != s1 {
		t.Error("Attach cloned twice or lost the State")
	}
	if state.From(r.Context()) != nil {
		t.Error("the original request got a State")
	}
}

func TestWriterRecordsStatusAndBytes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		write  func(w http.ResponseWriter)
		status int
		bytes  int64
	}{
		{"nothing", func(w http.ResponseWriter) {}, 0, 0},
		{"Write", func(w http.ResponseWriter) { _, _ = w.Write([]byte("abc")) }, 200, 3},
		{"WriteHeader then Write", func(w http.ResponseWriter) { w.WriteHeader(201); _, _ = w.Write([]byte("ab")) }, 201, 2},
		{"second WriteHeader ignored", func(w http.ResponseWriter) { w.WriteHeader(404); w.WriteHeader(500) }, 404, 0},
		{"1xx not recorded", func(w http.ResponseWriter) { w.WriteHeader(103); w.WriteHeader(204) }, 204, 0},
		{"ReadFrom", func(w http.ResponseWriter) { _, _ = io.Copy(w, strings.NewReader("12345")) }, 200, 5},
		{"Flush commits 200", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, 200, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, s := state.Attach(httptest.NewRequest("GET", "/", nil))
			w := s.Wrap(httptest.NewRecorder())
			tc.write(w)
			if w.Status != tc.status || w.Bytes != tc.bytes || w.Wrote() != (tc.status != 0) {
				t.Errorf("Status %d, Bytes %d; want %d, %d", w.Status, w.Bytes, tc.status, tc.bytes)
			}
		})
	}
}

func TestWriterWrapReusesTheStoredWriterOnce(t *testing.T) {
	_, s := state.Attach(httptest.NewRequest("GET", "/", nil))
	a := s.Wrap(httptest.NewRecorder())
	b := s.Wrap(a)
	if a == b || b.ResponseWriter != a {
		t.Error("second Wrap did not make a new Writer around the first")
	}
}

func TestWriterKeepsResponseControllerFeatures(t *testing.T) {
	hijacked := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, s := state.Attach(r)
		rw := s.Wrap(w)
		rc := http.NewResponseController(rw)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			hijacked <- err
			return
		}
		if r.URL.Path == "/flush" {
			_, _ = rw.Write([]byte("first"))
			if err := rc.Flush(); err != nil {
				hijacked <- err
			}
			return
		}
		c, buf, err := rc.Hijack()
		if err != nil {
			hijacked <- err
			return
		}
		defer c.Close()
		if rw.Status != http.StatusSwitchingProtocols {
			t.Errorf("Status after Hijack = %d", rw.Status)
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		hijacked <- buf.Flush()
	}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/flush")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "first" || res.ContentLength != -1 {
		t.Errorf("flushed response: %q, length %d (want chunked)", b, res.ContentLength)
	}

	res = testkit.ReadResponse(t, testkit.Send(t, srv, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n"))
	b, _ = io.ReadAll(res.Body)
	if string(b) != "hi" {
		t.Errorf("hijacked body %q", b)
	}
	if err := <-hijacked; err != nil {
		t.Error(err)
	}
}

func TestWriterHijackNotSupported(t *testing.T) {
	_, s := state.Attach(httptest.NewRequest("GET", "/", nil))
	w := s.Wrap(httptest.NewRecorder())
	if _, _, err := w.Hijack(); err == nil || w.Status != 0 {
		t.Errorf("Hijack on a recorder: err %v, Status %d", err, w.Status)
	}
	if w.Unwrap() == nil {
		t.Error("Unwrap returned nil")
	}
}
