package micro_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/microkit-go/micro"
)

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
