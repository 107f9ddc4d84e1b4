package middleware

import (
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// corsNullUnsafe says why the origin "null" is never allowed or trusted.
const corsNullUnsafe = "is unsafe: sandboxed iframes, file: pages and redirects all send it"

// add checks raw with corsParseOrigin and adds it to s; it returns raw in
// lower case, and why it is refused, or "".
func (s *corsOrigins) add(raw string) (o, why string) {
	o, pt, isPattern, why := corsParseOrigin(raw)
	switch {
	case why != "":
	case isPattern:
		s.patterns = append(s.patterns, pt)
	default:
		if s.origins == nil {
			s.origins = map[string]struct{}{}
		}
		if _, dup := s.origins[o]; !dup {
			s.origins[o] = struct{}{}
			s.exact = append(s.exact, o)
		}
	}
	return o, why
}

// corsParseOrigin checks raw, a configured origin of [CORS] or
// [CrossOrigin], and returns it in lower case, with its pattern when it is
// one ("scheme://*.host[:port]"); why says what is wrong, to follow the
// quoted raw in a message, or is "". It refuses "null", a "*" anywhere but
// as the whole first label of a host, anything that is not a serialized
// origin as browsers send it, and a pattern over a top-level domain or a
// public suffix (as github.io or co.uk), whose subdomains belong to
// different owners, or whose every subdomain is a public suffix (the
// list's "*.compute-1.amazonaws.com" or "*.kawasaki.jp"). A base that is
// no public suffix may still have some below it (amazonaws.com has
// s3.amazonaws.com): the pattern's match refuses the hosts under those.
func corsParseOrigin(raw string) (o string, pt corsPattern, isPattern bool, why string) {
	o = strings.ToLower(raw)
	if o == "null" {
		return "", corsPattern{}, false, corsNullUnsafe
	}
	check := o
	scheme, rest, ok := strings.Cut(o, "://")
	isPattern = ok && strings.HasPrefix(rest, "*.")
	if isPattern {
		check = scheme + "://x" + rest[1:] // check the rest as an ordinary origin
	}
	if strings.Contains(check, "*") {
		return "", corsPattern{}, false, `has a "*" that is not the whole first label of the host, as in "https://*.example.com"`
	}
	scheme, host, port, why := corsSplitOrigin(check)
	if why != "" {
		return "", corsPattern{}, false, why
	}
	if strings.HasPrefix(host, "[") {
		if c := "[" + netip.MustParseAddr(host[1:len(host)-1]).String() + "]"; c != host {
			return "", corsPattern{}, false, "must write its IPv6 address as browsers do: " + c
		}
	}
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		return "", corsPattern{}, false, "must omit the default port " + port + ", as browsers do"
	}
	if !isPattern {
		return o, corsPattern{}, false, ""
	}
	base := host[2:] // "example.com"
	if !strings.Contains(base, ".") {
		return "", corsPattern{}, false, "is a pattern over a whole top-level domain"
	}
	if last := base[strings.LastIndexByte(base, '.')+1:]; strings.Trim(last, "0123456789") == "" {
		return "", corsPattern{}, false, "is a pattern over an IP address, which has no subdomains"
	}
	// A public suffix of the Public Suffix List ("https://*.github.io",
	// "https://*.co.uk") has subdomains that belong to different owners, and
	// so does a base whose every subdomain is one ("https://*.kawasaki.jp").
	// (A host under a public suffix below the base, as a bucket's
	// evil.s3.amazonaws.com under "https://*.amazonaws.com", is refused
	// when matched, in corsPattern's match.)
	if ps, _ := publicsuffix.PublicSuffix(base); ps == base {
		return "", corsPattern{}, false, `is a pattern over the public suffix "` + base +
			`" (Public Suffix List), whose subdomains belong to different owners; list the origins, or a pattern under a domain you own`
	}
	if ps, _ := publicsuffix.PublicSuffix("_." + base); len(ps) > len(base) { // "_" is never an exception
		return "", corsPattern{}, false, `is a pattern over the public suffixes "*.` + base +
			`" (Public Suffix List), each of whose hosts belongs to its own owner; list the origins, or a pattern under a domain you own`
	}
	pt = corsPattern{prefix: scheme + "://", suffix: host[1:]} // ".example.com"
	if port != "" {
		pt.suffix += ":" + port
		pt.portLen = 1 + len(port)
	}
	return o, pt, true, ""
}

// corsSplitOrigin splits the serialized origin s into scheme, host and
// port, checking their syntax but not their case; why says what is wrong,
// or is "". It does not allocate, so requests can use it.
func corsSplitOrigin(s string) (scheme, host, port, why string) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !corsIsScheme(scheme) {
		return "", "", "", `is not "scheme://host" or "scheme://host:port"`
	}
	if strings.ContainsAny(rest, "/?#@\\") {
		return "", "", "", "must not have a path, query, fragment, userinfo or trailing slash"
	}
	host = rest
	if strings.HasPrefix(rest, "[") {
		i := strings.IndexByte(rest, ']')
		if i < 0 {
			return "", "", "", "has an unclosed IPv6 address"
		}
		host, rest = rest[:i+1], rest[i+1:]
		a, err := netip.ParseAddr(host[1:i]) // without a zone, no allocation
		if strings.IndexByte(host, '%') >= 0 || err != nil || !a.Is6() {
			return "", "", "", "has an invalid IPv6 address"
		}
	} else if i := strings.IndexByte(rest, ':'); i >= 0 {
		host, rest = rest[:i], rest[i:]
	} else {
		rest = ""
	}
	if rest != "" {
		port = rest[1:]
		if rest[0] != ':' || !corsIsPort(port) {
			return "", "", "", "has an invalid port"
		}
	}
	if !strings.HasPrefix(host, "[") && !corsIsHostName(host) {
		return "", "", "", "has an invalid host (non-ASCII names must be written in punycode, xn--…)"
	}
	return scheme, host, port, ""
}

// corsIsScheme reports whether s is a URL scheme: a letter, then letters,
// digits, "+", "-" or ".".
func corsIsScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// corsIsPort reports whether s is a port from 1 to 65535 without leading
// zeros, as browsers serialize it.
func corsIsPort(s string) bool {
	_, ok := parsePort(s)
	return ok && s[0] != '0' // also refuses port 0
}

// corsIsHostName reports whether s is dot-separated non-empty labels of
// ASCII letters, digits, "-" and "_" (which some DNS names have), at most
// 253 bytes, as a host name or an IPv4 address is.
func corsIsHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			label++
		case c == '.' && label > 0:
			label = 0
		default:
			return false
		}
	}
	return label > 0
}
