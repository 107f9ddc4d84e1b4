package micro_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

// Each benchmark runs the micro version beside a hand-written net/http
// baseline, as sub-benchmarks impl=micro and impl=nethttp, so that
//
//	go test -run '^$' -bench . -benchmem -count 10 | tee new.txt
//	benchstat -col /impl new.txt
//
// prints their ratio from one run.

type benchComment struct {
	Comment string `json:"comment"`
}

var benchComments = []benchComment{{"First"}, {"Nice post"}}

func BenchmarkGetComments(b *testing.B) {
	handlers := []struct {
		name string
		h    http.Handler
	}{
		{"impl=nethttp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(benchComments)
		})},
		{"impl=micro", micro.Handler(func(*http.Request) (any, error) {
			return benchComments, nil
		})},
	}
	for _, h := range handlers {
		b.Run(h.name, func(b *testing.B) {
			w := &testkit.Discard{}
			r := httptest.NewRequest("GET", "/api/comments", nil)
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				h.h.ServeHTTP(w, r)
			}
			if w.Bytes < 40 {
				b.Fatalf("wrote %d bytes", w.Bytes)
			}
		})
	}
}

// benchPayload decodes a 1 KiB JSON body.
type benchPayload struct {
	Author  string   `json:"author"`
	Email   string   `json:"email"`
	Comment string   `json:"comment"`
	Tags    []string `json:"tags"`
	Score   float64  `json:"score"`
	Draft   bool     `json:"draft"`
}

func benchBody() []byte {
	p := benchPayload{
		Author: "Ada Lovelace", Email: "ada@example.com",
		Tags: []string{"go", "http", "json", "micro"}, Score: 4.5,
	}
	b, _ := json.Marshal(p)
	p.Comment = strings.Repeat("lorem ipsum ", (1024-len(b))/12)
	b, _ = json.Marshal(p)
	return b
}

// resettableBody is a request body that can be rewound without allocating.
type resettableBody struct{ bytes.Reader }

func (*resettableBody) Close() error { return nil }

func BenchmarkDecodeJSON(b *testing.B) {
	data := benchBody()
	if len(data) < 1000 || len(data) > 1050 {
		b.Fatalf("body is %d bytes, want about 1 KiB", len(data))
	}
	benchDecoders(b, data, "", []benchDecoder{
		{"impl=nethttp", func(w http.ResponseWriter, r *http.Request) (benchPayload, error) {
			var v benchPayload
			err := json.NewDecoder(http.MaxBytesReader(w, r.Body, micro.DefaultLimit)).Decode(&v)
			return v, err
		}},
		{"impl=micro", func(_ http.ResponseWriter, r *http.Request) (benchPayload, error) {
			return micro.JSON[benchPayload](r)
		}},
	})
}

// BenchmarkDecodeGzipJSON decodes the 1 KiB JSON body of
// BenchmarkDecodeJSON sent gzipped, against net/http with gzip.NewReader
// and a limit on the inflated bytes.
func BenchmarkDecodeGzipJSON(b *testing.B) {
	benchDecoders(b, compressed(benchBody(), "gzip"), "gzip", []benchDecoder{
		{"impl=nethttp", func(w http.ResponseWriter, r *http.Request) (benchPayload, error) {
			var v benchPayload
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				return v, err
			}
			err = json.NewDecoder(io.LimitReader(zr, micro.DefaultLimit)).Decode(&v)
			return v, err
		}},
		{"impl=micro", func(_ http.ResponseWriter, r *http.Request) (benchPayload, error) {
			return micro.JSON[benchPayload](r)
		}},
	})
}

// benchDecoder is one sub-benchmark of a body decoding benchmark.
type benchDecoder struct {
	name   string
	decode func(w http.ResponseWriter, r *http.Request) (benchPayload, error)
}

// benchDecoders runs each decoder on a JSON request whose body is data,
// sent with the Content-Encoding coding unless it is "".
func benchDecoders(b *testing.B, data []byte, coding string, decoders []benchDecoder) {
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			w := &testkit.Discard{}
			body := new(resettableBody)
			r := httptest.NewRequest("POST", "/api/comments", nil)
			r.Header.Set("Content-Type", "application/json")
			if coding != "" {
				r.Header.Set("Content-Encoding", coding)
			}
			header := r.Header
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				body.Reset(data)
				// Each iteration is a fresh request: micro.JSON leaves an
				// inflated request describing its inflated body (its own
				// header without Content-Encoding, the inflated length).
				r.Header = header
				r.ContentLength = int64(len(data))
				r.Body = body
				v, err := d.decode(w, r)
				if err != nil || v.Author != "Ada Lovelace" {
					b.Fatalf("decoded %+v, %v", v, err)
				}
			}
		})
	}
}
