package servers_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro/bench/servers"
)

// BenchmarkServers runs each server in process on each endpoint of the
// load program, writing into a ResponseWriter that keeps nothing:
//
//	go test -run '^$' -bench . -benchmem ./servers
func BenchmarkServers(b *testing.B) {
	endpoints := []struct {
		name, method, path, body string
		status                   int
	}{
		{"list", "GET", "/api/comments", "", 200},
		{"item", "GET", "/api/comments/7", "", 200},
		{"post", "POST", "/api/comments", `{"author":"ann","text":"hello"}`, 201},
	}
	for _, name := range servers.Names() {
		for _, e := range endpoints {
			b.Run("server="+name+"/endpoint="+e.name, func(b *testing.B) {
				h, err := servers.New(name)
				if err != nil {
					b.Fatal(err)
				}
				tmpl := httptest.NewRequest(e.method, e.path, nil)
				tmpl.Header.Set("User-Agent", "wirebench")
				if e.body != "" {
					tmpl.Header.Set("Content-Type", "application/json")
					tmpl.ContentLength = int64(len(e.body))
				}
				body := bytes.NewReader(nil)
				w := &discard{header: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					w.reset()
					body.Reset([]byte(e.body))
					r := *tmpl // shallow: the handlers may replace the body and context
					r.Body = io.NopCloser(body)
					h.ServeHTTP(w, &r)
				}
				if w.status != e.status || w.bytes == 0 {
					b.Fatalf("answered %d with %d bytes, want %d with a body", w.status, w.bytes, e.status)
				}
			})
		}
	}
}

// discard is a ResponseWriter that keeps only the status and the number of
// bytes written.
type discard struct {
	header http.Header
	status int
	bytes  int
}

func (d *discard) Header() http.Header { return d.header }

func (d *discard) WriteHeader(status int) {
	if d.status == 0 {
		d.status = status
	}
}

func (d *discard) Write(p []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	d.bytes += len(p)
	return len(p), nil
}

func (d *discard) reset() {
	clear(d.header)
	d.status, d.bytes = 0, 0
}
