// Package otelmicro starts an OpenTelemetry server span for each request,
// named by the route that served it, from the account [middleware.Observe]
// gives of the finished request.
//
// Put [Middleware] outermost, so that the span covers the whole chain,
// refusals included, and the handlers' own spans are its children:
//
//	tracing := otelmicro.Middleware(otelmicro.Config{})
//	srv.Handler = tracing(middleware.Default(cfg)(mux))
//
// # The span
//
// The span, of kind server, continues the caller's trace when the request
// carries a valid traceparent header (a malformed one starts a new trace).
// It starts named by the method alone and ends renamed "METHOD ROUTE" once
// the route is known: ServeMux's pattern less its method and host
// ("GET /api/comments/{id}"), or the template [middleware.SetRoute]
// recorded for another router. A request no route served keeps the method
// alone, as the semantic conventions say for a missing route; a method
// outside RFC 9110's eight and PATCH is "HTTP", with http.request.method
// "_OTHER" and the method in http.request.method_original, so a client
// cannot grow the names.
//
// Attributes, from the semantic conventions v1.43.0: at the start, where a
// sampler sees them, http.request.method, url.path, url.scheme,
// server.address, server.port (when not the scheme's), network.protocol.version
// and user_agent.original; at the end, http.route (absent for a request no
// route served), http.response.status_code, http.request.body.size (the
// bytes the handlers read), http.response.body.size (the bytes sent; 0 for
// HEAD), client.address (the client [middleware.ClientIP] found behind
// trusted proxies, else the peer; never an unverified X-Forwarded-For) and
// error.type for a 5xx. The span ends when the request ended: when the
// handler returned, or a stream its last item.
//
// # Errors
//
// A 5xx sets the span's status to Error, error.type to the status code
// ("500"), and adds an exception event for its cause: its Go type
// (exception.type, "panic" for a recovered panic). The cause's text and a
// panic's stack are added only with [Config.RecordCauseText]: they can
// hold what must not leave the server, [middleware.Logger] logs them
// already, and the span's trace ID leads to the log line. A 4xx is the
// client's error, not the server's: status unset. So is a client that went
// away: a 499, or a stream the client left, has status unset and
// micro.client_gone true. A panic is recorded and goes on.
//
// # Streams
//
// A server-sent event or NDJSON stream (micro.Stream, send.Stream) is one
// span, however long it runs: it ends when the stream ends, with
// micro.stream.items, the number of items sent. No event is added per
// item, so a long stream costs what a short one does.
//
// # otelhttp
//
// Middleware replaces otelhttp.NewHandler for a server built with this
// module; stacking both makes two server spans per request. otelhttp reads
// the route from r.Pattern on the request it handed on, so it names a span
// by its route only when it wraps a ServeMux directly: a middleware between
// them that clones the request (Default's chain does, once) hides the
// pattern, and a chi, gorilla/mux, gin or echo template never reaches it.
// It cannot see the cause of a 5xx, ends a panicking request's span without
// its 500 or an error status, cannot tell that a client went away, and
// takes client.address from an X-Forwarded-For header it cannot verify
// (TestOtelhttpBesideMiddleware shows each). Middleware reads all of these
// from [middleware.Observation] and, in this package's benchmark, costs
// less per request (BenchmarkMiddleware). otelhttp also records the HTTP server metrics,
// which this package leaves to a metrics hook on [middleware.Observe].
// For outgoing requests otelhttp.NewTransport is still the tool: a client
// call made with the handler's context is a child of the server span.
package otelmicro
