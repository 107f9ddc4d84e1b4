// Package response holds what micro and send must write alike, since send
// cannot import micro (micro imports send): how a route's header joins the
// response's, and the words of a 413 for a body over its limit.
package response

import (
	"net/http"
	"net/textproto"
	"strconv"
)

// MergeHeader copies src onto dst. Keys are canonicalised. Each key
// replaces what dst had, except Set-Cookie and Vary, whose values are
// appended: a cookie or a Vary entry set earlier in the chain (Vary: Origin
// from a CORS middleware, say) must survive, or a shared cache could serve
// one client's response to another.
func MergeHeader(dst, src http.Header) {
	for k, vv := range src {
		k = textproto.CanonicalMIMEHeaderKey(k)
		switch k {
		case "Set-Cookie", "Vary":
			dst[k] = append(dst[k], vv...)
		default:
			dst[k] = append([]string(nil), vv...)
		}
	}
}

// BodyTooLarge returns the public message of a 413 for a body over limit
// bytes, "Body exceeded <limit> byte limit": micro's body helpers refuse
// such a body with it, and send.Error answers middleware.BodyLimit's
// refusals with it.
func BodyTooLarge(limit int64) string {
	return "Body exceeded " + strconv.FormatInt(limit, 10) + " byte limit"
}
