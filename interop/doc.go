// Package interop holds the tests and benchmarks that need other people's
// routers and middleware: a separate module, so the library's users never
// download them.
//
// The router tests (routers_*_test.go) serve one API, written once with
// micro.Handler routes and a plain http.Handler, on the std ServeMux, chi,
// gorilla/mux, gin and echo, with our middleware around each router and
// inside its middleware slot, and check over a real server that every
// router answers a table of requests exactly as the ServeMux does: status,
// headers, body, stream items and the log line with its route; the
// ServeMux over TLS and HTTP/2 must answer the same too. Each router's
// file holds the few lines that adapt it (copying its path parameters
// into r.PathValue, recording its route template with
// middleware.SetRoute) and documents the cases it cannot match. Distinct
// paths under one parameterised route log one route on every router. The
// alice test mixes chi's middleware and rs/cors with ours in one chain.
// The validator files adapt go-playground/validator's struct tags to a
// Validate method whose field errors point at the body with JSON Pointers.
package interop
