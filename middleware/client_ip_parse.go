package middleware

import (
	"net/netip"
	"strings"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// This file parses the addresses that ClientIP reads. The parsers read
// their input in place and never allocate, not even on malformed input
// (netip.ParseAddr allocates its error), so a hostile header costs no
// garbage. FuzzClientIPParseAddr checks clientIPParseAddr against
// netip.ParseAddr.

// clientIPParseHost parses "ip", "ipv4:port", "[ipv6]" or "[ipv6]:port"
// into an unmapped address without a zone. In forwarded mode (an RFC 7239
// node) an IPv6 address must be bracketed and the port may be obfuscated.
func clientIPParseHost(s string, forwarded bool) (netip.Addr, bool) {
	if a, _, ok := clientIPParsePeer4(s); ok {
		return a, true
	}
	host, port, hasPort := s, "", false
	if s != "" && s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}, false
		}
		host = s[1:end]
		if strings.IndexByte(host, ':') < 0 {
			return netip.Addr{}, false // "[192.0.2.1]": brackets are for IPv6
		}
		if rest := s[end+1:]; rest != "" {
			if rest[0] != ':' {
				return netip.Addr{}, false
			}
			port, hasPort = rest[1:], true
		}
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		if strings.IndexByte(s[i+1:], ':') < 0 {
			host, port, hasPort = s[:i], s[i+1:], true // IPv4 with a port
		} else if forwarded {
			return netip.Addr{}, false // RFC 7239 brackets IPv6
		}
	}
	if hasPort && !clientIPValidPort(port, forwarded) {
		return netip.Addr{}, false
	}
	return clientIPParseAddr(host)
}

// clientIPParsePeer4 parses "a.b.c.d:port", the RemoteAddr net/http gives
// an IPv4 peer, in one pass: four decimal fields up to 255 without leading
// zeros, then a port as parsePort reads it. host is the text before the
// port, which is then the address's canonical text (a.String()). ok is
// false for anything else, which clientIPParseHost goes on to read.
func clientIPParsePeer4(s string) (a netip.Addr, host string, ok bool) {
	var ip [4]byte
	i := 0
	for n := range ip {
		if i >= len(s) || s[i]-'0' > 9 {
			return netip.Addr{}, "", false
		}
		v := uint(s[i] - '0')
		i++
		for end := i + 2; v != 0 && i < end && i < len(s) && s[i]-'0' <= 9; i++ {
			v = v*10 + uint(s[i]-'0')
		}
		sep := byte('.')
		if n == len(ip)-1 {
			sep = ':'
		}
		if v > 255 || i >= len(s) || s[i] != sep {
			return netip.Addr{}, "", false
		}
		ip[n] = byte(v)
		i++
	}
	if _, ok := parsePort(s[i:]); !ok {
		return netip.Addr{}, "", false
	}
	return netip.AddrFrom4(ip), s[:i-1], true
}

// clientIPValidPort reports whether p is a port number (1 to 5 digits, at
// most 65535) or, in forwarded mode, an obfuscated port ("_" followed by
// letters, digits, ".", "_" or "-").
func clientIPValidPort(p string, forwarded bool) bool {
	if forwarded && len(p) > 1 && p[0] == '_' {
		for i := 1; i < len(p); i++ {
			if c := p[i]; !clientIPIsAlnum(c) && c != '.' && c != '_' && c != '-' {
				return false
			}
		}
		return true
	}
	_, ok := parsePort(p)
	return ok
}

func clientIPIsAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// parsePort parses a decimal port: 1 to 5 ASCII digits with a value of at
// most 65535. Anything else, a sign or a space included, is not one.
func parsePort(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n <= 65535
}

// clientIPParseAddr parses an IPv4 or IPv6 address as netip.ParseAddr
// does, and returns it unmapped and without its zone.
func clientIPParseAddr(s string) (netip.Addr, bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.':
			return clientIPParse4(s)
		case ':':
			return clientIPParse6(s)
		case '%':
			return netip.Addr{}, false
		}
	}
	return netip.Addr{}, false
}

// clientIPParse4 parses a dotted-quad IPv4 address: four decimal fields
// up to 255, without leading zeros.
func clientIPParse4(s string) (netip.Addr, bool) {
	var ip [4]byte
	n, val, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return netip.Addr{}, false // leading zero
			}
			val = val*10 + int(c-'0')
			if val > 255 {
				return netip.Addr{}, false
			}
			digits++
		case c == '.' && digits > 0 && n < 3:
			ip[n] = byte(val)
			n, val, digits = n+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if n != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	ip[3] = byte(val)
	return netip.AddrFrom4(ip), true
}

// clientIPParse6 parses an IPv6 address with an optional zone (dropped)
// and an optional embedded IPv4 address in its last 32 bits.
func clientIPParse6(s string) (netip.Addr, bool) {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if i == len(s)-1 {
			return netip.Addr{}, false // empty zone
		}
		s = s[:i]
	}
	var ip [16]byte
	ellipsis := -1 // where "::" stands, in bytes of ip
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis, s = 0, s[2:]
		if s == "" {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, 0
		for ; off < len(s); off++ {
			d, ok := httpsyntax.Unhex(s[off])
			if !ok {
				break
			}
			if off == 4 {
				return netip.Addr{}, false // five hex digits
			}
			acc = acc<<4 | int(d)
		}
		if off == 0 {
			return netip.Addr{}, false
		}
		if off < len(s) && s[off] == '.' { // the embedded IPv4 address
			if ellipsis < 0 && i != 12 || i > 12 {
				return netip.Addr{}, false
			}
			v4, ok := clientIPParse4(s)
			if !ok {
				return netip.Addr{}, false
			}
			b := v4.As4()
			copy(ip[i:], b[:])
			i, s = i+4, ""
			break
		}
		ip[i], ip[i+1] = byte(acc>>8), byte(acc)
		i, s = i+2, s[off:]
		if s == "" {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false // a second "::"
			}
			ellipsis, s = i, s[1:]
			if s == "" {
				break
			}
		}
	}
	if s != "" {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		copy(ip[ellipsis+n:], ip[ellipsis:i])
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return netip.Addr{}, false // "::" standing for no group at all
	}
	return netip.AddrFrom16(ip).Unmap(), true
}

// forwardedLastSep returns the index of the last sep in s outside a
// quoted-string, or -1. Reading from the right, a quote opens a
// quoted-string and the next quote not escaped by an odd run of
// backslashes closes it; ok is false when one is left open.
func forwardedLastSep(s string, sep byte) (i int, ok bool) {
	quoted := false
	for i = len(s) - 1; i >= 0; i-- {
		switch c := s[i]; {
		case c == '"' && !quoted:
			quoted = true
		case c == '"':
			j := i - 1
			for j >= 0 && s[j] == '\\' {
				j--
			}
			if (i-1-j)%2 == 0 {
				quoted = false
			}
		case c == sep && !quoted:
			return i, true
		}
	}
	return -1, !quoted
}

// forwardedFor returns the address in the one for= parameter of a
// Forwarded element. An element with no for=, two of them, a pair without
// "=" or a for= that is not a node address is malformed.
func forwardedFor(elem string) (addr netip.Addr, ok bool) {
	found := false
	for {
		i, balanced := forwardedLastSep(elem, ';')
		if !balanced {
			return netip.Addr{}, false
		}
		if pair := httpsyntax.TrimOWS(elem[i+1:]); pair != "" {
			eq := strings.IndexByte(pair, '=')
			if eq <= 0 {
				return netip.Addr{}, false
			}
			if strings.EqualFold(httpsyntax.TrimOWS(pair[:eq]), "for") {
				if found {
					return netip.Addr{}, false
				}
				if addr, ok = forwardedNode(httpsyntax.TrimOWS(pair[eq+1:])); !ok {
					return netip.Addr{}, false
				}
				found = true
			}
		}
		if i < 0 {
			return addr, found
		}
		elem = elem[:i]
	}
}

// forwardedNode parses a for= value, a token or a quoted-string without
// quoted-pairs. "unknown" and obfuscated identifiers are no address.
func forwardedNode(v string) (netip.Addr, bool) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
		if strings.IndexByte(v, '\\') >= 0 {
			return netip.Addr{}, false
		}
	} else if !httpsyntax.IsToken(v) {
		return netip.Addr{}, false
	}
	return clientIPParseHost(v, true)
}
