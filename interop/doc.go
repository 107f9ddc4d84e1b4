// Package interop holds the tests and benchmarks that need other people's
// routers and middleware (chi, rs/cors): a separate module, so the
// library's users never download them.
package interop
