package middleware

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"

	"github.com/microkit-go/micro/internal/state"
)

// RequestIDHeader is the header RequestID reads and sets.
const RequestIDHeader = "X-Request-Id"

// RequestID returns middleware that gives every request an ID, sets it as
// the X-Request-ID response header and makes it readable with
// [RequestIDFrom], so log lines and error reports can be tied to a request.
//
// The request's own X-Request-ID (the first, when there are several) is
// kept only when it is a safe token: 1 to 64 characters of A-Z, a-z, 0-9,
// '.', '_' and '-'. Anything else (empty, too long, CR/LF, spaces, quotes,
// non-ASCII) is replaced with a new ID, so a client cannot inject into
// log lines or response headers. A new ID is 32 lower-case hex digits from
// a 128-bit random number: unique, but not a secret (a client can choose
// its own), so never use it for authorisation.
//
// A W3C traceparent header does not become the request ID: its trace ID
// names a whole distributed trace, which spans many requests to many
// servers, and adopting it would give every request of a trace one ID.
// [Logger] writes both, request_id and trace_id, so either finds the line.
func RequestID() func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, s := state.Attach(r)
			var v []string
			if id := headerValue(r.Header, RequestIDHeader); safeToken(id) {
				v = s.SetRequestID(id)
			} else {
				v = s.SetNewRequestID(newRequestID())
			}
			w.Header()[RequestIDHeader] = v
			next.ServeHTTP(w, r)
		})
	}
}

// RequestIDFrom returns the ID [RequestID] gave r, or "" when that
// middleware is not in r's chain.
func RequestIDFrom(r *http.Request) string {
	if s := state.From(r.Context()); s != nil {
		return s.Data.RequestID
	}
	return ""
}

// newRequestID returns 128 random bits as 32 hex digits. math/rand/v2's
// generator (ChaCha8, seeded by the runtime) is fast and unpredictable
// enough for an identifier; IDs are not secrets.
func newRequestID() [32]byte {
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(raw[8:], rand.Uint64())
	var b [32]byte
	hex.Encode(b[:], raw[:])
	return b
}
