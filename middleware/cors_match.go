package middleware

import (
	"net/http"
	"strings"

	"github.com/microkit-go/micro/internal/httpsyntax"
	"golang.org/x/net/publicsuffix"
)

// Bounds on Access-Control-Request-Headers, over all its lines: browsers
// send one line naming a few headers, so more is an attack or a bug.
const (
	corsMaxRequestHeaderBytes = 4 << 10
	corsMaxRequestHeaderNames = 64
)

// allowOrigin returns the Access-Control-Allow-Origin value for r, or nil
// when r has no single allowed Origin: one listed or matching a pattern,
// or any well-formed one under "*". The value returned for
// a listed origin is the request's own Origin slice, capped so that an
// append copies it.
func (p *corsPolicy) allowOrigin(r *http.Request) []string {
	v := r.Header["Origin"]
	if len(v) != 1 {
		return nil
	}
	o := v[0]
	if p.anyOrigin { // "null" is an origin too, and "*" grants no credentials
		if _, _, _, why := corsSplitOrigin(o); why != "" && o != "null" {
			return nil
		}
		return p.star
	}
	if p.match(o) {
		return v[:1:1]
	}
	return nil
}

// match reports whether the origin o is one of s, ignoring ASCII case, or
// matches one of its patterns.
func (s *corsOrigins) match(o string) bool {
	if _, ok := s.origins[o]; ok {
		return true
	}
	if corsHasUpper(o) { // browsers send lower case; others take the long way
		for _, e := range s.exact {
			if httpsyntax.EqualFold(o, e) {
				return true
			}
		}
	}
	for _, pt := range s.patterns {
		if pt.match(o) {
			return true
		}
	}
	return false
}

// match reports whether o is pt's prefix, one or more host labels and
// pt's suffix, ignoring ASCII case, and its host no site under a public
// suffix that lies below the pattern's base: "https://*.amazonaws.com"
// matches neither evil.s3.amazonaws.com nor a.evil.s3.amazonaws.com,
// whose owners are s3.amazonaws.com's customers. One label before the base
// needs no look-up, so only deeper hosts may allocate: the pattern is
// refused if the base has a wildcard rule ("*.compute-1.amazonaws.com",
// whose every host is its own customer's), and a public suffix listed by
// name (s3.amazonaws.com) is its operator's host, the base's owner.
func (pt corsPattern) match(o string) bool {
	n := len(o) - len(pt.prefix) - len(pt.suffix)
	if n <= 0 ||
		!httpsyntax.EqualFold(o[:len(pt.prefix)], pt.prefix) ||
		!httpsyntax.EqualFold(o[len(o)-len(pt.suffix):], pt.suffix) ||
		!corsIsHostName(o[len(pt.prefix):len(o)-len(pt.suffix)]) {
		return false
	}
	if strings.IndexByte(o[len(pt.prefix):len(o)-len(pt.suffix)], '.') < 0 {
		return true
	}
	host := o[len(pt.prefix) : len(o)-pt.portLen]
	if corsHasUpper(host) {
		host = strings.ToLower(host) // the list is in lower case
	}
	ps, _ := publicsuffix.PublicSuffix(host)
	return len(ps) < len(pt.suffix)-1-pt.portLen // a suffix of the base, which is none
}

// methodAllowed reports whether a preflight may ask for method m.
func (p *corsPolicy) methodAllowed(m string) bool {
	if p.anyMethod {
		return httpsyntax.IsToken(m)
	}
	for _, a := range p.methods {
		if a == m {
			return true
		}
	}
	return false
}

// headersAllowed parses the Access-Control-Request-Headers lines of a
// preflight: comma-separated header names with optional spaces and tabs,
// and empty elements, which HTTP lists may have. It reports whether every
// name is allowed (false also for a malformed or oversized list) and
// whether any name was given. Its cost is linear in the lines' length,
// which it bounds before reading them.
func (p *corsPolicy) headersAllowed(lines []string) (ok, named bool) {
	if len(lines) > corsMaxRequestHeaderNames {
		return false, false
	}
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	if size > corsMaxRequestHeaderBytes {
		return false, false
	}
	elems := 0
	for _, l := range lines {
		for {
			elem, rest, more := httpsyntax.CutByte(l, ',')
			if elems++; elems > corsMaxRequestHeaderNames {
				return false, false
			}
			if name := httpsyntax.TrimOWS(elem); name != "" {
				if !httpsyntax.IsToken(name) || !p.headerAllowed(name) {
					return false, false
				}
				named = true
			}
			if !more {
				break
			}
			l = rest
		}
	}
	return true, named
}

// headerAllowed reports whether a preflight may ask for the header token
// name.
func (p *corsPolicy) headerAllowed(name string) bool {
	if p.anyHeader {
		return true
	}
	for _, a := range p.headers {
		if httpsyntax.EqualFold(name, a) {
			return true
		}
	}
	return false
}

// corsHasUpper reports whether s has an ASCII upper-case letter.
func corsHasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
