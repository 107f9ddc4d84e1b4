package send

import (
	"net/http"
	"strconv"
)

// Media types written by this package.
const (
	typeJSON    = "application/json; charset=utf-8"
	typeProblem = "application/problem+json"
	typeText    = "text/plain; charset=utf-8"
	typeOctets  = "application/octet-stream"
)

// setTypeAndLength sets Content-Length to n and, unless the header map already
// has a Content-Type key, Content-Type to ctype. Both values share one
// allocation, which keeps the hot path at the cost of a hand-written handler
// that sets only the Content-Type.
func setTypeAndLength(h http.Header, ctype string, n int) {
	length := strconv.Itoa(n)
	if _, ok := h["Content-Type"]; ok {
		h["Content-Length"] = []string{length}
		return
	}
	vv := make([]string, 2)
	vv[0], vv[1] = ctype, length
	h["Content-Type"] = vv[0:1:1]
	h["Content-Length"] = vv[1:2:2]
}

// bodyAllowed reports whether a response with this status may carry a body
// (RFC 9110 §6.4.1): not 1xx, 204 or 304.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// validStatus reports whether status is one a final response can carry.
func validStatus(status int) bool {
	return status >= 200 && status <= 599
}
