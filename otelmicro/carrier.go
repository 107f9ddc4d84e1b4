package otelmicro

import (
	"net/http"

	"go.opentelemetry.io/otel/propagation"
)

// headerCarrier is propagation.HeaderCarrier with the canonical form of
// the trace context and baggage header names written out, so that reading
// them costs no allocation: http.Header.Get canonicalizes the lower-case
// names propagators ask for into a new string each time.
type headerCarrier http.Header

var _ propagation.TextMapCarrier = headerCarrier(nil)

// Get returns the first value of the header key, "" when there is none.
func (c headerCarrier) Get(key string) string {
	switch key {
	case "traceparent":
		key = "Traceparent"
	case "tracestate":
		key = "Tracestate"
	case "baggage":
		key = "Baggage"
	}
	return http.Header(c).Get(key)
}

// Set sets the header key to value.
func (c headerCarrier) Set(key, value string) { http.Header(c).Set(key, value) }

// Keys returns the header names.
func (c headerCarrier) Keys() []string { return propagation.HeaderCarrier(c).Keys() }
