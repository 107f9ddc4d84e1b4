package middleware

import (
	"net/http"

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
// bytes passes. The body helpers' own limit still applies, so the smaller
// of the two wins. n < 1 panics at construction.
func BodyLimit(n int64) func(http.Handler) http.Handler {
	if n < 1 {
		panic("middleware: BodyLimit needs a limit of at least 1 byte")
	}
	tooLarge := problem(http.StatusRequestEntityTooLarge, "Body exceeded %d byte limit", n)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				send.Error(w, r, tooLarge)
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}
