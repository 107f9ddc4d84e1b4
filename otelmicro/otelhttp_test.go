package otelmicro_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/otelmicro"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// seen is what a test compares of a span made by otelhttp and by
// Middleware.
type seen struct {
	Name       string
	Status     any // http.response.status_code; nil when absent
	Code       codes.Code
	Client     any // client.address
	ClientGone any // micro.client_gone
}

// TestOtelhttpBesideMiddleware shows, with otelhttp's spans beside ours
// for the same requests, why the package documentation advises
// Middleware rather than otelhttp.NewHandler.
func TestOtelhttpBesideMiddleware(t *testing.T) {
	logged := func(h http.Handler) http.Handler {
		return middleware.Logger(slog.New(slog.DiscardHandler))(h)
	}
	panics := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	silent := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name          string
		h             http.Handler
		ctx           context.Context
		forwardedFor  string
		otelhttp, our seen
	}{
		{
			"a ServeMux alone: both name the route", commentsMux(), nil, "",
			seen{"GET /api/comments/{id}", int64(200), codes.Unset, "192.0.2.1", nil},
			seen{"GET /api/comments/{id}", int64(200), codes.Unset, "192.0.2.1", nil},
		},
		{
			"a ServeMux behind a middleware that clones the request: otelhttp loses the route", logged(commentsMux()), nil, "",
			seen{"GET", int64(200), codes.Unset, "192.0.2.1", nil},
			seen{"GET /api/comments/{id}", int64(200), codes.Unset, "192.0.2.1", nil},
		},
		{
			"a panic: otelhttp ends the span with neither the 500 nor an error", panics, nil, "",
			seen{"GET", nil, codes.Unset, "192.0.2.1", nil},
			seen{"GET", int64(500), codes.Error, "192.0.2.1", nil},
		},
		{
			"a client gone before the handler returned: otelhttp cannot tell", silent, cancelled, "",
			seen{"GET", int64(200), codes.Unset, "192.0.2.1", nil},
			seen{"GET", int64(200), codes.Unset, "192.0.2.1", true},
		},
		{
			"an X-Forwarded-For nobody vouches for: otelhttp takes it as the client", silent, nil, "203.0.113.9",
			seen{"GET", int64(200), codes.Unset, "203.0.113.9", nil},
			seen{"GET", int64(200), codes.Unset, "192.0.2.1", nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorded(t)
			impls := []struct {
				h    http.Handler
				want seen
			}{
				{otelhttp.NewHandler(tt.h, "server", otelhttp.WithTracerProvider(rec.tp)), tt.otelhttp},
				{otelmicro.Middleware(otelmicro.Config{TracerProvider: rec.tp})(tt.h), tt.our},
			}
			for i, impl := range impls {
				r := httptest.NewRequest("GET", "http://example.com/api/comments/7", nil)
				if tt.ctx != nil {
					r = r.WithContext(tt.ctx)
				}
				if tt.forwardedFor != "" {
					r.Header.Set("X-Forwarded-For", tt.forwardedFor)
				}
				testkit.Recover(func() { impl.h.ServeHTTP(httptest.NewRecorder(), r) })
				spans := rec.sr.Ended()
				if len(spans) != i+1 {
					t.Fatalf("%d spans ended, want %d", len(spans), i+1)
				}
				s := spans[i]
				if s.SpanKind() != trace.SpanKindServer {
					t.Fatalf("span kind %v", s.SpanKind())
				}
				a := attrs(s)
				got := seen{s.Name(), a["http.response.status_code"], s.Status().Code, a["client.address"], a["micro.client_gone"]}
				if diff := cmp.Diff(impl.want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", []string{"otelhttp", "otelmicro"}[i], diff)
				}
			}
		})
	}
}
