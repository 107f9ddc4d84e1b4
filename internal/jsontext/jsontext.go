// Package jsontext appends Go strings as JSON strings, byte for byte as the
// standard library's two JSON writers do: encoding/json (with HTML escaping
// off) and log/slog's JSON handler, which differ only in how they write a
// backspace and a form feed.
package jsontext

import "unicode/utf8"

// Style is the JSON writer whose escaping AppendString reproduces.
type Style uint8

const (
	// EncodingJSON is encoding/json with SetEscapeHTML(false): a backspace
	// and a form feed are written \b and \f.
	EncodingJSON Style = iota

	// Slog is log/slog's JSONHandler: a backspace and a form feed are
	// written \u0008 and \u000c.
	Slog
)

const hexDigits = "0123456789abcdef"

// AppendString appends s to dst as a quoted JSON string, escaped as style's
// writer escapes it: quotes, backslashes and control characters escaped
// (\n, \r and \t by their short form), invalid UTF-8 replaced by U+FFFD, and
// U+2028 and U+2029 escaped, so the output is also valid JavaScript. '<',
// '>' and '&' are written as they are.
func AppendString(dst []byte, s string, style Style) []byte {
	dst = append(dst, '"')
	i := plainPrefix(s)
	if i == len(s) { // the common case: nothing to escape, one copy
		dst = append(dst, s...)
		return append(dst, '"')
	}
	dst = append(dst, s[:i]...)
	start := i
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch {
			case b == '"', b == '\\':
				dst = append(dst, '\\', b)
			case b == '\n':
				dst = append(dst, '\\', 'n')
			case b == '\r':
				dst = append(dst, '\\', 'r')
			case b == '\t':
				dst = append(dst, '\\', 't')
			case b == '\b' && style == EncodingJSON:
				dst = append(dst, '\\', 'b')
			case b == '\f' && style == EncodingJSON:
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainPrefix returns the length of the longest prefix of s that is
// printable ASCII other than '"' and '\\', which JSON writes as it is.
func plainPrefix(s string) int {
	n := len(s)
	if n < 8 {
		// Four to seven bytes: the first four and the last four, which
		// overlap, tested as one word.
		if n >= 4 && !wordNeedsLook(uint64(word4(s))|uint64(word4(s[n-4:]))<<32) {
			return n
		}
		return plainBytes(s, 0)
	}
	// Eight bytes at a time while none needs a look.
	i := 0
	for ; i+8 <= n; i += 8 {
		if wordNeedsLook(word(s[i : i+8])) {
			return plainBytes(s, i)
		}
	}
	// The fewer than eight bytes left, in the last eight of s, which
	// overlap those already read: a plain string never runs the byte loop.
	if i == n || !wordNeedsLook(word(s[n-8:])) {
		return n
	}
	return plainBytes(s, i)
}

// plainBytes is plainPrefix byte by byte from s[i], where i bytes are
// known plain.
func plainBytes(s string, i int) int {
	for i < len(s) && plainByte[s[i]] != 0 {
		i++
	}
	return i
}

// plainByte is 1 at the index of each byte plainPrefix accepts: 0x20 to
// 0x7f but '"' (0x22) and '\\' (0x5c).
const plainByte = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// word4 returns the first four bytes of s, which has at least four, as
// one little-endian number.
func word4(s string) uint32 {
	_ = s[3] // one bounds check
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// word returns the first eight bytes of s, which has at least eight, as
// one little-endian number.
func word(s string) uint64 {
	_ = s[7] // one bounds check
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// wordNeedsLook reports whether any of the eight bytes of x is a control
// character, '"', '\\' or not ASCII, testing them all at once.
func wordNeedsLook(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// A byte of 0x80 or more has its high bit set in x itself. Of the
	// others, a byte is under 0x20 exactly when subtracting 0x20 sets its
	// high bit, and a byte of quote (backslash), zero exactly where x holds
	// '"' ('\\'), has its high bit set by subtracting one exactly when it
	// is zero. Borrows can only mark bytes above one that is found, so the
	// test of the whole word is exact.
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	return ((x-ones*0x20)|(quote-ones)|(backslash-ones)|x)&highs != 0
}
