package send_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/send"
)

// Each benchmark runs send beside a hand-written net/http baseline, as
// sub-benchmarks impl=send and impl=nethttp: compare them with
// benchstat -col /impl.

func bench(b *testing.B, impls map[string]http.HandlerFunc) {
	for _, name := range []string{"impl=nethttp", "impl=send"} {
		b.Run(name, func(b *testing.B) {
			testkit.Bench(b, impls[name], httptest.NewRequest("GET", "/", nil))
		})
	}
}

// BenchmarkError compares a problem response with http.Error's plain text.
func BenchmarkError(b *testing.B) {
	bench(b, map[string]http.HandlerFunc{
		"impl=nethttp": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no such comment", http.StatusNotFound)
		},
		"impl=send": func(w http.ResponseWriter, r *http.Request) {
			send.Error(w, r, statusErr{http.StatusNotFound})
		},
	})
}

// BenchmarkText compares send.Text with setting the headers and writing.
func BenchmarkText(b *testing.B) {
	bench(b, map[string]http.HandlerFunc{
		"impl=nethttp": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "hello, world")
		},
		"impl=send": func(w http.ResponseWriter, r *http.Request) {
			_ = send.Text(w, r, http.StatusOK, "hello, world")
		},
	})
}
