package otelmicro

import (
	"net/http"

	"github.com/microkit-go/micro/middleware"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the spans [Middleware] starts.
const ScopeName = "github.com/microkit-go/micro/otelmicro"

// Config is the configuration of [Middleware]. Its zero value is valid:
// every field has a default.
type Config struct {
	// TracerProvider makes the tracer; nil means otel.GetTracerProvider()
	// as it is when Middleware is called (the global provider passes spans
	// on to one set later with otel.SetTracerProvider).
	TracerProvider trace.TracerProvider

	// Propagators read the caller's trace context from the request
	// headers; nil means otel.GetTextMapPropagator() as it is when
	// Middleware is called, or propagation.TraceContext{} (the W3C
	// traceparent and tracestate headers) while no global propagator is
	// set, since the global default reads nothing.
	Propagators propagation.TextMapPropagator

	// Filter, when set, is asked about each request first: false passes
	// the request on untouched, with no span and no propagation. A nil
	// Filter traces every request.
	Filter func(*http.Request) bool

	// RecordCauseText adds the text of a 5xx's cause (and, for a panic,
	// its stack) to the span's exception event. Off by default: a cause's
	// text can hold what must not leave the server (a query, a file path,
	// a credential in a URL) and [middleware.Logger] logs it already; the
	// event then carries only the cause's type, and the trace ID joins the
	// span to the log line.
	RecordCauseText bool
}

// Middleware returns middleware that starts an OpenTelemetry server span
// for each request and ends it when the request is finished, named and
// described by the HTTP semantic conventions (v1.43.0) with the route
// that served the request: see the package documentation for what a span
// holds. The span is the current span of the request's context, so the
// handlers' own spans are its children.
//
// Middleware never panics: every Config field has a default. A panic of
// the handler is recorded on the span and goes on.
func Middleware(cfg Config) func(http.Handler) http.Handler {
	tp := cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	prop := cfg.Propagators
	if prop == nil {
		prop = otel.GetTextMapPropagator()
		if len(prop.Fields()) == 0 {
			prop = propagation.TraceContext{}
		}
	}
	tracer := tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	end := ender{causeText: cfg.RecordCauseText}
	filter := cfg.Filter
	observe := middleware.Observe(end.end)
	server := trace.WithSpanKind(trace.SpanKindServer)
	return func(next http.Handler) http.Handler {
		observed := observe(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if filter != nil && !filter(r) {
				next.ServeHTTP(w, r)
				return
			}
			ctx := prop.Extract(r.Context(), headerCarrier(r.Header))
			var attrs [maxStartAttrs]attribute.KeyValue
			ctx, span := tracer.Start(ctx, spanMethod(r.Method),
				server,
				trace.WithAttributes(startAttrs(&attrs, r)...))
			r = r.WithContext(ctx)
			if !span.IsRecording() {
				// Sampled out: the context still carries the span for
				// propagation, and there is nothing to record.
				next.ServeHTTP(w, r)
				span.End()
				return
			}
			observed.ServeHTTP(w, r)
		})
	}
}
