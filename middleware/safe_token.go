package middleware

// maxSafeToken is the longest safe token: an incoming X-Request-ID, a
// rate limit's name.
const maxSafeToken = 64

// safeToken reports whether s is 1 to 64 of [A-Za-z0-9._-]: text that
// can be echoed in a header, logged, or quoted in a structured field
// without escaping. It is the rule of an incoming X-Request-ID and of a
// rate limit's name.
func safeToken(s string) bool {
	if len(s) == 0 || len(s) > maxSafeToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
