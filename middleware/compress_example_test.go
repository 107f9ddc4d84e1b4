package middleware_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/microkit-go/micro/middleware"
)

func ExampleCompress() {
	page := strings.Repeat("<p>Hello, gzip!</p>\n", 200) // 4000 bytes
	mux := http.NewServeMux()
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok") // below MinSize: sent as it is
	})
	h := middleware.Compress(middleware.CompressConfig{})(mux)

	for _, path := range []string{"/page", "/ok"} {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept-Encoding", "gzip, deflate, br")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)

		sent := w.Body.Len()
		body := io.Reader(w.Body)
		if w.Header().Get("Content-Encoding") == "gzip" {
			body, _ = gzip.NewReader(body)
		}
		b, _ := io.ReadAll(body)
		fmt.Printf("%s: Content-Encoding %q, Vary %q, %d bytes read, sent in fewer than 100: %v\n",
			path, w.Header().Get("Content-Encoding"), w.Header().Get("Vary"), len(b), sent < 100)
	}
	// Output:
	// /page: Content-Encoding "gzip", Vary "Accept-Encoding", 4000 bytes read, sent in fewer than 100: true
	// /ok: Content-Encoding "", Vary "Accept-Encoding", 2 bytes read, sent in fewer than 100: true
}

// Streams are sent uncompressed unless Streams allows some: each
// compressed stream holds a gzip writer (~800 KiB) until it ends.
func ExampleCompressConfig_streams() {
	events := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
	})
	for _, cfg := range []middleware.CompressConfig{{}, {Streams: 100}} {
		r := httptest.NewRequest("GET", "/events", nil)
		r.Header.Set("Accept-Encoding", "gzip") // as every EventSource sends it
		w := httptest.NewRecorder()
		middleware.Compress(cfg)(events).ServeHTTP(w, r)
		fmt.Printf("Streams %d: Content-Encoding %q\n", cfg.Streams, w.Header().Get("Content-Encoding"))
	}
	// Output:
	// Streams 0: Content-Encoding ""
	// Streams 100: Content-Encoding "gzip"
}
