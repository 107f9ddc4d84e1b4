package middleware

import (
	"github.com/microkit-go/micro/internal/httpsyntax"
)

// compressMaxAccept is how many bytes of Accept-Encoding, over all its
// lines, are read. Real clients send under 50 ("gzip, deflate, br, zstd");
// what lies beyond is ignored, so a hostile header costs no more than this.
const compressMaxAccept = 512

// compressAcceptsGzip reports whether the Accept-Encoding values accept
// gzip (RFC 9110 §12.5.3): gzip or x-gzip with a weight above 0, or, when
// neither is listed, "*" with a weight above 0. An element whose weight is
// malformed is ignored, and so is an element cut by the length cap. It
// does not allocate.
func compressAcceptsGzip(values []string) bool {
	gzipQ, anyQ := -1, -1 // the highest weight seen, in thousandths; -1: not listed
	for elem := range httpsyntax.Elements(values, compressMaxAccept) {
		name, q, ok := compressCoding(elem)
		switch {
		case !ok:
		case httpsyntax.EqualFold(name, "gzip") || httpsyntax.EqualFold(name, "x-gzip"):
			gzipQ = max(gzipQ, q)
		case name == "*":
			anyQ = max(anyQ, q)
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

// compressCoding parses one Accept-Encoding element, "coding;q=0.5", into
// the coding and its weight in thousandths (1000 when absent). Parameters
// other than q are skipped; ok is false for an empty coding or a malformed
// weight.
func compressCoding(elem string) (name string, q int, ok bool) {
	name, params, _ := httpsyntax.CutByte(elem, ';')
	name = httpsyntax.TrimOWS(name)
	if name == "" {
		return "", 0, false
	}
	q = 1000
	for params != "" {
		var p string
		p, params, _ = httpsyntax.CutByte(params, ';')
		p = httpsyntax.TrimOWS(p)
		if len(p) < 2 || p[0] != 'q' && p[0] != 'Q' || p[1] != '=' {
			continue
		}
		if q, ok = httpsyntax.ParseQ(p[2:]); !ok {
			return "", 0, false
		}
		break // the first weight counts
	}
	return name, q, true
}
