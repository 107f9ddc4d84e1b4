package otelmicro

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/microkit-go/micro/middleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Attribute keys of this package, beside the semantic conventions'.
const (
	// StreamItemsKey is the number of items (events, lines) an SSE or
	// NDJSON stream sent, on a streamed response's span only.
	StreamItemsKey = attribute.Key("micro.stream.items")

	// ClientGoneKey is true on the span of a request whose client went
	// away before the response was complete (absent otherwise): a 499, or
	// a stream the client left.
	ClientGoneKey = attribute.Key("micro.client_gone")
)

// maxEndAttrs is the most attributes end sets.
const maxEndAttrs = 8

// ender ends the span of a finished request, as the hook of
// middleware.Observe.
type ender struct {
	causeText bool // Config.RecordCauseText
}

// end names the request's span by its route, sets the response's
// attributes and the status, records a 5xx's cause and ends the span
// when the request ended.
func (e ender) end(r *http.Request, o middleware.Observation) {
	span := trace.SpanFromContext(r.Context())
	path := routePath(o.Route)
	span.SetName(spanName(o.Method, o.Route, path))
	var buf [maxEndAttrs]attribute.KeyValue
	a := append(buf[:0],
		semconv.HTTPResponseStatusCode(o.Status),
		semconv.HTTPRequestBodySize(int(o.BytesIn)),
		semconv.HTTPResponseBodySize(int(o.BytesOut)))
	if path != "" {
		a = append(a, semconv.HTTPRoute(path))
	}
	if c := clientAddress(r); c != "" {
		a = append(a, semconv.ClientAddress(c))
	}
	if o.Streamed {
		a = append(a, StreamItemsKey.Int64(o.Items))
	}
	if o.ClientGone {
		a = append(a, ClientGoneKey.Bool(true))
	}
	if o.Status >= 500 {
		a = append(a, semconv.ErrorTypeKey.String(strconv.Itoa(o.Status)))
		span.SetStatus(codes.Error, "")
		if o.Cause != nil {
			e.recordCause(span, o.Cause)
		}
	}
	span.SetAttributes(a...)
	span.End(trace.WithTimestamp(o.Start.Add(o.Duration)))
}

// recordCause adds the exception event of cause to span: its type ("panic"
// for a recovered panic) and, with causeText, its text and a panic's
// stack.
func (e ender) recordCause(span trace.Span, cause error) {
	var st interface{ Stack() []byte }
	var stack []byte
	if errors.As(cause, &st) {
		stack = st.Stack()
	}
	kind := "panic"
	if stack == nil {
		kind = semconv.ErrorType(cause).Value.AsString()
	}
	attrs := []attribute.KeyValue{semconv.ExceptionType(kind)}
	if e.causeText {
		attrs = append(attrs, semconv.ExceptionMessage(cause.Error()))
		if stack != nil {
			attrs = append(attrs, semconv.ExceptionStacktrace(string(stack)))
		}
	}
	span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(attrs...))
}
