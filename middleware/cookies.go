package middleware

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/microkit-go/micro/internal/httpsyntax"
	"github.com/microkit-go/micro/internal/state"
)

// CookiesConfig configures [Cookies].
type CookiesConfig struct {
	// Keys are the signing keys of [SignedCookieFrom] and [SetSignedCookie],
	// each at least 32 random bytes: the first signs, every one verifies,
	// so a key is rotated by putting the new one first and dropping the old
	// one once the cookies it signed have expired. No keys is allowed:
	// signed cookies then always read as absent and cannot be set. The keys
	// are copied by [Cookies]; use them for signed cookies only.
	Keys [][]byte
}

// cookieMaxPairs is how many name=value pairs the parser reads from a
// request's Cookie header; the rest of the header is ignored. Browsers keep
// about 180 cookies per domain, so 256 pairs hold any real request, and a
// header of many tiny cookies cannot build a large map.
const cookieMaxPairs = 256

// cookieMinKey is the shortest signing key [Cookies] accepts: the output
// size of SHA-256.
const cookieMinKey = 32

// cookieNone is the map handed out for a request without cookies, so that
// such a request costs no allocation. Nothing ever writes to it.
var cookieNone = map[string]string{}

// Cookies returns a middleware that parses the request's Cookie header once,
// into the map that [CookiesFrom], [CookieFrom] and [SignedCookieFrom] read:
// the Go side of Next.js's req.cookies.
//
// Threat model: every cookie is client input, and cookies planted by a
// sibling subdomain or by a plain-http page on the same host arrive beside
// the site's own, under the same names. So parsing never fails: malformed
// input is skipped, as browsers and the cookie package behind req.cookies
// do, and the parse is linear in the header's size and keeps at most 256
// pairs. The first occurrence of a name wins; a cookie that others must not
// shadow should use the __Host- prefix, and a value that must come from
// the server itself should be signed: see [SignedCookieFrom].
//
// Over every Cookie header line, pairs are split on ';'; a pair without '='
// or with an empty name is skipped; names and values are trimmed of spaces
// and tabs and otherwise not validated; double quotes around a value are
// removed; a value holding '%' is percent-decoded like JavaScript's
// decodeURIComponent ('+' stays '+'), and kept raw when that fails (a '%'
// not followed by two hex digits, or bytes that are not valid UTF-8).
//
// A key in cfg.Keys shorter than 32 bytes panics at construction, with the
// message of the error [CookiesConfig.Validate] returns. A second Cookies
// further down a chain parses again and replaces the keys.
func Cookies(cfg CookiesConfig) func(http.Handler) http.Handler {
	mustValid(cfg.Validate())
	keys := cookieCopyKeys(cfg.Keys)
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: Cookies: nil handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, s := state.Attach(r)
			s.Data.Cookies = cookieParse(r.Header["Cookie"])
			s.Data.CookieKeys = keys
			next.ServeHTTP(w, r)
		})
	}
}

// Validate reports whether [Cookies] accepts c: nil, or a [*ConfigError]
// for a key shorter than 32 bytes.
func (c CookiesConfig) Validate() error {
	for i, k := range c.Keys {
		if len(k) < cookieMinKey {
			return configError("Cookies", "middleware: Cookies: key "+strconv.Itoa(i)+" is "+strconv.Itoa(len(k))+
				" bytes; signing keys must be at least 32 random bytes")
		}
	}
	return nil
}

// cookieCopyKeys copies the keys, slice and bytes, so the caller changing
// its own afterwards changes nothing.
func cookieCopyKeys(keys [][]byte) [][]byte {
	if len(keys) == 0 {
		return nil
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = bytes.Clone(k)
	}
	return out
}

// CookiesFrom returns the request's cookies by name, as parsed by
// [Cookies]: Next.js's req.cookies. The map is read-only: it belongs to
// the request. It is nil when the request has no cookies, which reads like
// an empty map, while a write to it panics rather than corrupting anything.
// Copy it (maps.Clone) to change it.
//
// Without [Cookies] in the chain, CookiesFrom parses r's Cookie header
// itself, by the same rules, on every call (a new map each time, unless
// there are no cookies). It never fails: malformed pairs are skipped.
func CookiesFrom(r *http.Request) map[string]string {
	var m map[string]string
	if s := state.From(r.Context()); s != nil && s.Data.Cookies != nil {
		m = s.Data.Cookies
	} else {
		m = cookieParse(r.Header["Cookie"])
	}
	if len(m) == 0 {
		return nil // never hand out cookieNone, which every request shares
	}
	return m
}

// CookieFrom returns the value of the request's cookie name, decoded as
// [Cookies] describes, and whether the request has it; the first occurrence
// wins. Without [Cookies] in the chain it reads r's Cookie header itself,
// without building a map.
func CookieFrom(r *http.Request, name string) (string, bool) {
	if s := state.From(r.Context()); s != nil && s.Data.Cookies != nil {
		v, ok := s.Data.Cookies[name]
		return v, ok
	}
	sc := cookieScanner{lines: r.Header["Cookie"]}
	for n, v, ok := sc.next(); ok; n, v, ok = sc.next() {
		if n == name {
			return cookieDecode(v), true
		}
	}
	return "", false
}

// cookieParse builds the cookie map of the Cookie header lines.
func cookieParse(lines []string) map[string]string {
	hint := 0
	for _, l := range lines {
		hint += strings.Count(l, "=")
	}
	if hint == 0 {
		return cookieNone // no pair can be there
	}
	m := make(map[string]string, min(hint, cookieMaxPairs))
	sc := cookieScanner{lines: lines}
	for name, v, ok := sc.next(); ok; name, v, ok = sc.next() {
		// The first occurrence wins, as in the cookie package: browsers
		// send cookies with longer paths first.
		if _, dup := m[name]; !dup {
			m[name] = cookieDecode(v)
		}
	}
	return m
}

// cookieScanner walks Cookie header lines one name=value pair at a time.
// Each byte is looked at a bounded number of times, so a scan is linear in
// the header's size; it stops after cookieMaxPairs pairs.
//
// HTTP/1.1 may send several Cookie lines; HTTP/2 splits one, which
// net/http joins again.
type cookieScanner struct {
	lines []string // lines not started yet
	rest  string   // the unread part of the current line
	pairs int      // pairs returned so far
}

// next returns the next pair with a non-empty name, trimmed and unquoted
// but not yet percent-decoded, or ok false at the end.
func (sc *cookieScanner) next() (name, value string, ok bool) {
	for sc.pairs < cookieMaxPairs {
		if sc.rest == "" {
			if len(sc.lines) == 0 {
				return "", "", false
			}
			sc.rest, sc.lines = sc.lines[0], sc.lines[1:]
			continue
		}
		var part string
		part, sc.rest, _ = httpsyntax.CutByte(sc.rest, ';')
		name, value, found := httpsyntax.CutByte(part, '=')
		if !found {
			continue
		}
		if name = httpsyntax.TrimOWS(name); name == "" {
			continue
		}
		sc.pairs++
		value = httpsyntax.TrimOWS(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		return name, value, true
	}
	return "", "", false
}

// cookieDecode percent-decodes v like decodeURIComponent, or returns v
// unchanged when it has no '%' or does not decode.
func cookieDecode(v string) string {
	i := strings.IndexByte(v, '%')
	if i < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	b.WriteString(v[:i])
	for ; i < len(v); i++ {
		c := v[i]
		if c == '%' {
			if i+2 >= len(v) {
				return v
			}
			hi, okHi := httpsyntax.Unhex(v[i+1])
			lo, okLo := httpsyntax.Unhex(v[i+2])
			if !okHi || !okLo {
				return v
			}
			c = hi<<4 | lo
			i += 2
		}
		b.WriteByte(c)
	}
	s := b.String()
	if !utf8.ValidString(s) {
		return v
	}
	return s
}
