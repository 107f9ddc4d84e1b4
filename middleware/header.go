package middleware

import "net/http"

// headerValue is h.Get(key) for a key already in canonical form: the map
// is read directly, without canonicalising the key on every request.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
