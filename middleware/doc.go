// Package middleware is a set of composable net/http middlewares: each
// constructor returns a func(http.Handler) http.Handler (an
// alice.Constructor), so it chains with alice.New, chi's r.Use or plain
// wrapping, in servers that never use micro.Handler.
//
// The middlewares are [RequestID], [ClientIP], [Logger] (structured lines)
// and [AccessLog] (Combined Log Format lines), [ErrorLogger], [Recover],
// [CORS], [CrossOrigin] (cross-site request forgery), [BodyLimit],
// [ContentType], [Compress], [Cookies], [Timeout], [RateLimit], [ETag]
// (strong validators and 304s for whole bodies) and [Observe] (the hook
// metrics and traces hang from). [Default] assembles
// the recommended chain; its doc comment gives the order. A rate limit goes
// after it, where [ClientIP] has found the client and [Logger] logs the
// refusals.
//
// Every error response a middleware writes is the RFC 9457 problem that
// [send.Error] writes. Constructors check their configuration and panic on
// a bad one, at start-up rather than on the first request; the same check
// is a Validate method or function that returns a [*ConfigError] instead,
// for configurations read from flags or the environment.
//
// The middlewares share one per-request struct in the request context
// (request ID, client IP, cookies, the cause of a 5xx for the log line), so
// a whole chain clones the request once ([Timeout], whose route needs a
// context of its own, a second time), and one recording response writer
// that keeps Flush, Hijack and ReadFrom working and has Unwrap for
// http.ResponseController.
package middleware
