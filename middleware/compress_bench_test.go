package middleware_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// BenchmarkCompress measures one request per iteration through ours, a
// bare handler and gorilla's CompressHandler, on the same writer.
func BenchmarkCompress(b *testing.B) {
	var payload []byte
	{
		type item struct {
			ID      int    `json:"id"`
			Author  string `json:"author"`
			Comment string `json:"comment"`
		}
		var items []item
		for i := 0; len(payload) < 8<<10; i++ {
			items = append(items, item{i, fmt.Sprintf("user%d", i%17), fmt.Sprintf("comment number %d, nice post", i)})
			payload, _ = json.Marshal(items)
		}
	}
	jsonType := []string{"application/json"}
	serve := func(body []byte) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = jsonType
			w.Write(body)
		})
	}
	ours := middleware.Compress(middleware.CompressConfig{})
	gorilla := handlers.CompressHandler
	bare := func(h http.Handler) http.Handler { return h }

	cases := []struct {
		name   string
		accept []string
		body   []byte
	}{
		{"json-8KiB", []string{"gzip, deflate, br, zstd"}, payload},
		{"small-100B", []string{"gzip, deflate, br, zstd"}, payload[:100]},
		{"no-accept-encoding", nil, payload},
		{"hostile-accept-encoding-100KB", []string{strings.Repeat("x;q=0.5, ", 11000) + "gzip"}, payload},
	}
	for _, c := range cases {
		for _, mw := range []struct {
			name string
			mw   func(http.Handler) http.Handler
		}{{"bare", bare}, {"micro", ours}, {"gorilla", gorilla}} {
			b.Run("case="+c.name+"/impl="+mw.name, func(b *testing.B) {
				h := mw.mw(serve(c.body))
				r := httptest.NewRequest("GET", "/", nil)
				// One writer throughout, counting the bytes, so the figures
				// show the middleware alone.
				w := &testkit.Discard{}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.Header())
					r.Header["Accept-Encoding"] = c.accept // gorilla deletes it
					h.ServeHTTP(w, r)
				}
				b.ReportMetric(float64(w.Bytes)/float64(b.N), "wire-B/op")
			})
		}
	}
}
