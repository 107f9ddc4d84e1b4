// Package bodylimit holds the text a request body over its limit is
// answered with, so that micro's body helpers and send.Error (which
// answers middleware.BodyLimit's refusals) word the 413 alike.
package bodylimit

import "strconv"

// Exceeded returns the public message of a 413 for a body over limit
// bytes: "Body exceeded <limit> byte limit".
func Exceeded(limit int64) string {
	return "Body exceeded " + strconv.FormatInt(limit, 10) + " byte limit"
}
