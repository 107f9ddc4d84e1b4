package otelmicro_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/otelmicro"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Each benchmark runs Middleware beside otelhttp.NewHandler around the same
// handler, with the same sampling TracerProvider, and the handler alone,
// as sub-benchmarks impl=micro, impl=otelhttp and impl=nethttp, so that
//
//	go test -run '^$' -bench . -benchmem -count 10 | tee new.txt
//	benchstat -col /impl new.txt
//
// prints their ratio from one run.

// discard is a span processor that drops every span it is handed, so
// that a benchmark measures the spans' making, not an exporter.
type discard struct{}

func (discard) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discard) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discard) Shutdown(context.Context) error                  { return nil }
func (discard) ForceFlush(context.Context) error                { return nil }

// benchProvider returns a provider that samples every span and drops it.
func benchProvider(b *testing.B) trace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(discard{}), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// benchMux is the comments API's read route on a ServeMux.
func benchMux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(r *http.Request) (any, error) {
		return map[string]string{"id": r.PathValue("id")}, nil
	}))
	return mux
}

// benchHandlers returns the traced handlers the benchmarks compare, each
// around its own h.
func benchHandlers(tp trace.TracerProvider, h func() http.Handler) []struct {
	name string
	h    http.Handler
} {
	return []struct {
		name string
		h    http.Handler
	}{
		{"impl=nethttp", h()},
		{"impl=otelhttp", otelhttp.NewHandler(h(), "server", otelhttp.WithTracerProvider(tp))},
		{"impl=micro", otelmicro.Middleware(otelmicro.Config{TracerProvider: tp})(h())},
	}
}

func BenchmarkMiddleware(b *testing.B) {
	tp := benchProvider(b)
	for _, h := range benchHandlers(tp, benchMux) {
		b.Run(h.name, func(b *testing.B) {
			w := &testkit.Discard{}
			r := httptest.NewRequest("GET", "http://example.com/api/comments/7", nil)
			r.Header.Set("User-Agent", "bench/1.0")
			r.Header.Set("Traceparent", wellFormed)
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				h.h.ServeHTTP(w, r)
			}
			if w.Status != http.StatusOK || w.Bytes != 10 {
				b.Fatalf("status %d, %d bytes", w.Status, w.Bytes)
			}
		})
	}
}
