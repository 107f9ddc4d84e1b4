package middleware

import (
	"net/http"

	"github.com/microkit-go/micro/internal/state"
)

// ETag returns middleware that gives the whole bodies written by send
// (JSON values, strings, []byte, through micro.Handler or send.Value,
// send.JSON and send.Text) a strong ETag, and answers a matching
// If-None-Match with 304 Not Modified. Wrap one route to give it ETags, or
// put ETag in a chain to give them to every route below it.
//
// Only a 200 to GET or HEAD is tagged: the tag is the first 128 bits of
// the SHA-256 of the exact body bytes, base64url, quoted, so it changes
// with any byte and is the same on every server. A route that sets its own
// ETag header keeps it, and If-None-Match is compared with that one.
// Streams, io.Readers, http.Handler values (a *micro.Response goes through
// send.Value and is tagged) and problems are never tagged.
//
// If-None-Match is evaluated as RFC 9110 section 13.1.2 says: weak
// comparison, a list of tags or "*". A match sends a 304 with the headers
// the 200 had, less Content-Type, Content-Length, Content-Encoding and
// (beside the ETag) Last-Modified, as http.ServeContent sends it;
// [Compress] then weakens the ETag and adds Vary, as for its 200, so a
// client that got W/"…" from a gzipped 200 and sends it back gets a 304.
// A malformed field, one over 64 tags or 4 KiB, is ignored: the full 200
// is sent. For other methods the body is written after the route has
// acted, too late to refuse with 412: call micro.Preconditions in the
// route, before it changes anything.
func ETag() func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: ETag given a nil handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, s := state.Attach(r)
			s.Data.ETag = true
			next.ServeHTTP(w, r)
		})
	}
}
