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

// Header values shared by every response, as rs/cors does: assigning a
// prebuilt slice into the header map costs no allocation. They are never
// modified; each has len == cap, so an append by later code copies it.
var (
	valueJSON    = []string{typeJSON}
	valueText    = []string{typeText}
	valueOctets  = []string{typeOctets}
	valueProblem = []string{typeProblem}
	valueNosniff = []string{"nosniff"}
	valueNoStore = []string{"no-store"}
	smallLengths = makeLengths(2048)
)

// makeLengths returns the Content-Length values 0 to n-1, each a slice of
// len == cap 1 into one backing array (about 40 KB for 2048 values).
func makeLengths(n int) [][]string {
	all := make([]string, n)
	for i := range all {
		all[i] = strconv.Itoa(i)
	}
	l := make([][]string, n)
	for i := range l {
		l[i] = all[i : i+1 : i+1]
	}
	return l
}

// setTypeAndLength sets Content-Length to n and, unless the header map
// already has a Content-Type key, Content-Type to ctype, a shared value. A
// length under 2048 (the size net/http buffers before it chunks) is a
// shared value too, so the usual JSON response sets
// both headers without allocating.
func setTypeAndLength(h http.Header, ctype []string, n int) {
	if len(h) == 0 {
		h["Content-Type"] = ctype // the usual case: nothing to look up
	} else if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = ctype
	}
	if n < len(smallLengths) {
		h["Content-Length"] = smallLengths[n]
	} else {
		h["Content-Length"] = []string{strconv.Itoa(n)}
	}
}

// validStatus reports whether status is one a final response can carry.
func validStatus(status int) bool {
	return status >= 200 && status <= 599
}
