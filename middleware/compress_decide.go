package middleware

import (
	"io"
	"net/http"
	"strings"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// compressWhy is the event that asks for a decision.
type compressWhy uint8

const (
	compressWhyHeader compressWhy = iota // only the header is known
	compressWhyFull                      // enough body is buffered
	compressWhyFlush                     // the handler flushes
	compressWhyEnd                       // the handler returned
)

// compressSniffLen is how much body is buffered to sniff a missing
// Content-Type when not compressing: what http.DetectContentType reads.
const compressSniffLen = 512

// compressCopyLen is the smallest body buffer, also used to copy in
// ReadFrom.
const compressCopyLen = 8 << 10

// limit is how many body bytes are held back before deciding.
func (cw *compressWriter) limit() int {
	if cw.gzipOK {
		return cw.c.minSize
	}
	return compressSniffLen
}

// grow makes sure buf can hold limit() bytes and serve as a copy buffer.
func (cw *compressWriter) grow() {
	if n := max(cw.c.minSize, compressCopyLen); cap(cw.buf) < n {
		cw.buf = make([]byte, 0, n)
	}
}

// sink is where body bytes go once the mode is decided.
func (cw *compressWriter) sink() io.Writer {
	switch cw.mode {
	case compressGzipping:
		return cw.gz.zw
	case compressHijacked:
		return compressHijackedWriter{}
	}
	return cw.rw
}

// decide sets the mode from the status, the header and sample (the
// body's first bytes, for sniffing), and adds Vary for a listed type. It
// returns false, with the mode still undecided, when why is
// compressWhyHeader and the decision needs body bytes.
func (cw *compressWriter) decide(sample []byte, why compressWhy) bool {
	h := cw.rw.Header()
	if ce := h["Content-Encoding"]; len(ce) > 0 && ce[0] != "" {
		cw.mode = compressPass // already encoded: not ours to vary or touch
		return true
	}
	body := httpsyntax.BodyAllowed(cw.status)
	ct, haveType := h["Content-Type"]
	if !haveType && body {
		if why == compressWhyHeader {
			return false // sniffing needs the body
		}
		if len(sample) == 0 {
			cw.mode = compressPass // nothing to sniff: net/http sniffs what comes
			return true
		}
		ct = []string{http.DetectContentType(sample)}
		h["Content-Type"] = ct
	}
	// The header is final once the status is set, so the type is matched
	// once even when the decision waits for the body.
	if cw.listed == compressUnknown {
		cw.listed = compressNo
		if len(ct) > 0 && cw.c.types.match(ct[0]) {
			cw.listed = compressYes
		}
	}
	listed := cw.listed == compressYes
	if !haveType && cw.status == http.StatusNotModified {
		// A 304 must carry the Vary its 200 would (RFC 9110, 15.4.5), but
		// rarely repeats the type: http.ServeContent deletes it. The 200
		// may have been compressed, so vary as if the type were listed.
		listed = true
	}
	mode := compressPass
	if listed && body && cw.gzipOK && cw.status != http.StatusPartialContent && len(h["Content-Range"]) == 0 {
		if compressIsStream(h, ct[0]) {
			mode = cw.streamMode()
		} else if mode = cw.bySize(h, len(sample), why); mode == compressUndecided {
			return false
		}
	}
	if listed {
		cw.c.addVary(h)
		if cw.status == http.StatusNotModified && cw.gzipOK {
			// Its 200 may have been gzipped, with a weakened ETag, and a
			// 304 must carry that ETag (RFC 9110, 15.4.5): a cache that
			// updated its gzipped copy with a strong one could splice
			// identity ranges into it. When the 200 was not compressed,
			// a weak ETag only costs If-Range a full response.
			compressWeakenETag(h)
		}
	}
	cw.mode = mode
	return true
}

// compressWeakenETag makes a strong ETag weak: the compressed bytes are not
// the bytes the handler's validator names.
func compressWeakenETag(h http.Header) {
	if et := h["Etag"]; len(et) > 0 && et[0] != "" && !strings.HasPrefix(et[0], "W/") {
		h["Etag"] = []string{"W/" + et[0]}
	}
}

// bySize decides a compressible response by the size of its body: its
// Content-Length, or else whether MinSize bytes arrived before the end.
// One flushed before, a stream, is compressed only with a stream slot.
func (cw *compressWriter) bySize(h http.Header, sampled int, why compressWhy) compressMode {
	if why == compressWhyEnd && sampled == 0 {
		return compressPass // nothing to compress
	}
	if n, ok := compressContentLength(h); ok {
		if n < int64(cw.c.minSize) {
			return compressPass
		}
		return compressGzipping
	}
	switch why {
	case compressWhyHeader:
		return compressUndecided
	case compressWhyEnd:
		return compressPass // shorter than MinSize
	case compressWhyFlush:
		return cw.streamMode() // flushed before MinSize: a stream
	}
	return compressGzipping // MinSize reached
}

// commit sends the header for the decided mode, then the buffered body.
func (cw *compressWriter) commit() error {
	if cw.mode == compressGzipping {
		h := cw.rw.Header()
		delete(h, "Content-Length")
		h["Content-Encoding"] = cw.c.encoding
		compressWeakenETag(h)
		cw.gz = cw.c.gzip(cw.rw)
	}
	cw.rw.WriteHeader(cw.status)
	if len(cw.buf) == 0 {
		return nil
	}
	_, err := cw.sink().Write(cw.buf)
	cw.buf = cw.buf[:0]
	return err
}
