// Package httpsyntax holds the small rules of HTTP syntax that the
// request parsers of micro, send and middleware share: optional
// whitespace, tokens, comma-separated lists read within a byte budget,
// quality values, media types and their parameters, and which statuses
// allow a body. Each rule is written once here and cites its section of
// RFC 9110.
//
// The functions read their input in place and do not allocate, except
// [Unquote] on a quoted-string holding a quoted-pair.
package httpsyntax

import "strings"

// TrimOWS returns s without the optional whitespace (spaces and tabs) of
// RFC 9110 section 5.6.3 at either end. Other bytes, line breaks and
// non-ASCII spaces included, are kept.
func TrimOWS(s string) string {
	for s != "" && isOWS(s[0]) {
		s = s[1:]
	}
	for s != "" && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// CutByte is strings.Cut for a one-byte separator, as the header parsers
// on the hot path split at ',', ';', '=' and '/': IndexByte costs less
// than the general substring search strings.Cut goes through. When sep is
// absent it returns s, "", false.
func CutByte(s string, sep byte) (before, after string, found bool) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// EqualFold reports whether a and b are equal ignoring ASCII case, as
// RFC 9110 compares tokens such as codings, media types and header names.
// Unlike strings.EqualFold, no non-ASCII byte matches an ASCII letter (the
// Kelvin sign does not match 'k'), and strings of different lengths are
// told apart without a look at their bytes.
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// IsTokenChar reports whether c is a tchar of RFC 9110 section 5.6.2: an
// ASCII letter or digit or one of !#$%&'*+-.^_`|~. Any other byte,
// non-ASCII ones included, is not.
func IsTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// IsToken reports whether s is a token of RFC 9110 section 5.6.2: one or
// more [IsTokenChar] bytes. The empty string is not a token.
func IsToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !IsTokenChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// Unhex returns the value of the hexadecimal digit c, HEXDIG of RFC 5234
// appendix B.1 in either case, as percent-encoding and IPv6 addresses
// write them; false for any other byte.
func Unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// BodyAllowed reports whether a response with this status may carry
// content (RFC 9110 sections 6.4.1, 15.3.5 and 15.4.5): false for 1xx,
// 204 and 304, and for a status below 100, which is no status at all.
func BodyAllowed(status int) bool {
	return status >= 200 && status != 204 && status != 304
}
