package middleware

import "strings"

// cutByte is strings.Cut for a one-byte separator, which the header
// parsers on the hot path use: IndexByte is cheaper than the general
// substring search strings.Cut goes through.
func cutByte(s string, sep byte) (before, after string, found bool) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
