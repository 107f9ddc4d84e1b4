package middleware

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// compressMaxType is the longest media type compared; longer ones, in the
// configuration or in a response, are not compressible.
const compressMaxType = 127

// compressTypes is the set of compressible media types, lower-cased.
type compressTypes struct {
	exact    map[string]struct{} // "text/html"
	major    map[string]struct{} // "text" for "text/*"
	suffixes bool                // any +json or +xml type
}

// compressNewTypes builds the configured list, which
// [CompressConfig.Validate] has checked.
func compressNewTypes(list []string, suffixes bool) compressTypes {
	t := compressTypes{exact: map[string]struct{}{}, major: map[string]struct{}{}, suffixes: suffixes}
	for _, e := range list {
		mt, _ := compressValidType(e) // checked by CompressConfig.Validate
		if typ, sub, _ := httpsyntax.CutByte(mt, '/'); sub == "*" {
			t.major[typ] = struct{}{}
		} else {
			t.exact[mt] = struct{}{}
		}
	}
	return t
}

// match reports whether the Content-Type ct (parameters allowed) is
// compressible. It does not allocate.
func (t *compressTypes) match(ct string) bool {
	ct, _ = httpsyntax.CutMediaType(ct)
	if ct == "" || len(ct) > compressMaxType {
		return false
	}
	var arr [compressMaxType]byte
	b := arr[:len(ct)]
	for i := 0; i < len(ct); i++ {
		c := ct[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	if _, ok := t.exact[string(b)]; ok {
		return true
	}
	slash := bytes.IndexByte(b, '/')
	if slash <= 0 {
		return false
	}
	if _, ok := t.major[string(b[:slash])]; ok {
		return true
	}
	return t.suffixes && (bytes.HasSuffix(b, []byte("+json")) || bytes.HasSuffix(b, []byte("+xml")))
}

// compressVaries reports whether the Vary values already name
// Accept-Encoding, or are "*".
func compressVaries(vary []string) bool {
	for _, v := range vary {
		for v != "" {
			var tok string
			tok, v, _ = httpsyntax.CutByte(v, ',')
			tok = httpsyntax.TrimOWS(tok)
			if tok == "*" || httpsyntax.EqualFold(tok, "Accept-Encoding") {
				return true
			}
		}
	}
	return false
}

// addVary appends Accept-Encoding to h's Vary, keeping what is
// there and never adding it twice.
func (c *compressor) addVary(h http.Header) {
	switch v := h["Vary"]; {
	case len(v) == 0:
		h["Vary"] = c.vary
	case !compressVaries(v):
		h["Vary"] = c.varyAfter(v)
	}
}

// varyAfter returns v with Accept-Encoding appended. The first Vary of up to
// four values that Compress extends is kept with its extension, which is
// reused for every later Vary with the same values (CORS's "Origin", on
// every response of a chain), so it costs no allocation. Like every header
// value Compress assigns, the result's capacity is its length, so code that
// appends to it copies it.
func (c *compressor) varyAfter(v []string) []string {
	if m := c.varyExtended.Load(); m != nil && slices.Equal((*m)[:len(*m)-1], v) {
		return *m
	}
	after := slices.Clip(append(slices.Clip(v), "Accept-Encoding"))
	if len(v) <= 4 {
		c.varyExtended.CompareAndSwap(nil, &after)
	}
	return after
}

// compressContentLength returns the Content-Length set in h, if it is one
// valid number.
func compressContentLength(h http.Header) (int64, bool) {
	v := h["Content-Length"]
	if len(v) != 1 {
		return 0, false
	}
	s := httpsyntax.TrimOWS(v[0])
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// compressValidType checks one configured entry and returns it
// lower-cased, or the [*ConfigError] that says what is wrong with it.
func compressValidType(t string) (string, error) {
	mt := strings.ToLower(strings.TrimSpace(t))
	typ, sub, ok := httpsyntax.CutByte(mt, '/')
	var msg string
	switch {
	case !ok || !httpsyntax.IsToken(typ) || !httpsyntax.IsToken(sub):
		msg = fmt.Sprintf("middleware: Compress type %q is not a media type (type/subtype, no parameters)", t)
	case typ == "*":
		msg = fmt.Sprintf("middleware: Compress type %q: compressing every type wastes CPU on JPEG and zip; list types or use type/*", t)
	case sub != "*" && strings.Contains(sub, "*"):
		msg = fmt.Sprintf("middleware: Compress type %q: a wildcard must be the whole subtype (type/*)", t)
	case len(mt) > compressMaxType:
		msg = fmt.Sprintf("middleware: Compress type %.40q… is longer than %d bytes", t, compressMaxType)
	default:
		return mt, nil
	}
	return "", configError("Compress", msg)
}
