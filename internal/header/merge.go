// Package header holds the header-copying rule shared by micro.Response and
// send.Error.
package header

import (
	"net/http"
	"net/textproto"
)

// Merge copies src onto dst. Keys are canonicalised. Each key replaces what
// dst had, except Set-Cookie and Vary, whose values are appended: a cookie
// or a Vary entry set earlier in the chain (Vary: Origin from a CORS
// middleware, say) must survive, or a shared cache could serve one client's
// response to another.
func Merge(dst, src http.Header) {
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
