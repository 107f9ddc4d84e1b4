package otelmicro_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/otelmicro"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func ExampleMiddleware() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(r *http.Request) (any, error) {
		return map[string]string{"id": r.PathValue("id")}, nil
	}))
	h := otelmicro.Middleware(otelmicro.Config{TracerProvider: tp})(mux)

	r := httptest.NewRequest("GET", "/api/comments/7", nil)
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), r)

	for _, s := range rec.Ended() {
		fmt.Println(s.Name(), s.SpanKind())
		fmt.Println("trace", s.SpanContext().TraceID(), "parent", s.Parent().SpanID())
		for _, a := range s.Attributes() {
			switch a.Key {
			case "http.route", "http.response.status_code", "http.response.body.size":
				fmt.Println(a.Key, a.Value.String())
			}
		}
	}
	// Output:
	// GET /api/comments/{id} server
	// trace 4bf92f3577b34da6a3ce929d0e0e4736 parent 00f067aa0ba902b7
	// http.response.status_code 200
	// http.response.body.size 10
	// http.route /api/comments/{id}
}
