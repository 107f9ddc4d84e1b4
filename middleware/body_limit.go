package middleware

import (
	"net/http"

	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/send"
)

// BodyLimit returns middleware that limits request bodies to n bytes.
//
// A request whose Content-Length declares more than n bytes is refused
// with a 413 problem before the route runs, without reading the body.
// Otherwise r.Body is replaced by http.MaxBytesReader, so a chunked body
// or one that lies about its length is cut after n bytes: the read fails
// with *http.MaxBytesError, which micro.JSON, micro.Text and micro.Buffer
// (and [send.Error]) answer with the same 413 problem. A body of exactly n
// bytes passes. n < 1 panics at construction, with the message of the
// error [ValidateBodyLimit] returns.
//
// n is also the default limit of micro's body helpers for the request, so
// raising it raises theirs: the doc of micro.DefaultLimit says how the
// limits combine.
//
// When a body is cut, the connection is closed after the response, as
// net/http does for its own MaxBytesReader: the rest of an oversized body
// is not read, and nothing the client sent after the limit is taken as the
// next request.
func BodyLimit(n int64) func(http.Handler) http.Handler {
	mustValid(ValidateBodyLimit(n))
	// Answered as a body cut at n bytes is, by send.Error.
	tooLarge := &http.MaxBytesError{Limit: n}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				send.Error(w, r, tooLarge)
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				var s *state.State
				r, s = state.Attach(r) // a clone only outside a chain that has one
				if s.Data.BodyLimit == 0 || n < s.Data.BodyLimit {
					s.Data.BodyLimit = n
				}
				r.Body = http.MaxBytesReader(bodyLimitInnermost(w), r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// bodyLimitInnermost returns the writer at the bottom of w's Unwrap chain:
// net/http's own, which MaxBytesReader tells to close the connection.
func bodyLimitInnermost(w http.ResponseWriter) http.ResponseWriter {
	for i := 0; i < 64; i++ { // bounded: an Unwrap cycle must not hang a request
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		next := u.Unwrap()
		if next == nil {
			break
		}
		w = next
	}
	return w
}

// ValidateBodyLimit reports whether [BodyLimit] accepts n: nil, or a
// [*ConfigError] when n is under 1.
func ValidateBodyLimit(n int64) error {
	if n < 1 {
		return configError("BodyLimit", "middleware: BodyLimit needs a limit of at least 1 byte")
	}
	return nil
}
