package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func BenchmarkBodyLimit(b *testing.B) {
	body := strings.Repeat("x", 512)
	drain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
	run := func(b *testing.B, h http.Handler) {
		sr := strings.NewReader(body)
		r := httptest.NewRequest("POST", "/", nil)
		w := &testkit.Discard{}
		b.ReportAllocs()
		for b.Loop() {
			sr.Reset(body)
			r.Body, r.ContentLength = io.NopCloser(sr), int64(len(body))
			h.ServeHTTP(w, r)
		}
	}
	b.Run("impl=bare", func(b *testing.B) { run(b, drain) })
	b.Run("impl=micro", func(b *testing.B) { run(b, middleware.BodyLimit(1<<10)(drain)) })
	b.Run("impl=nethttp", func(b *testing.B) { run(b, http.MaxBytesHandler(drain, 1<<10)) })
}
