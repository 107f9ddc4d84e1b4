package middleware

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/microkit-go/micro/internal/httpsyntax"
	"github.com/microkit-go/micro/internal/state"
)

// compressMode is what a compressWriter does with the body.
type compressMode uint8

const (
	compressUndecided compressMode = iota // status or body still needed
	compressPass                          // sent as it is
	compressGzipping                      // through gzip
	compressHijacked                      // the connection was taken over
)

// compressWriter is the response writer handed to the handler. It holds
// the header and up to limit() body bytes until the mode is decided.
type compressWriter struct {
	c      *compressor
	rw     http.ResponseWriter
	gz     *compressGzip // set once gzipping
	buf    []byte        // body held back before the decision
	status int           // the handler's status, 0 until it sets one
	gzipOK bool          // the request accepts gzip and is not HEAD
	mode   compressMode
	listed compressTri // whether the Content-Type is on the list, once known
	slot   bool        // holds one of the compressor's stream slots
}

// compressTri is a boolean that may not be known yet.
type compressTri uint8

const (
	compressUnknown compressTri = iota
	compressNo
	compressYes
)

func (cw *compressWriter) Header() http.Header { return cw.rw.Header() }

// Unwrap returns the wrapped writer, for http.ResponseController.
func (cw *compressWriter) Unwrap() http.ResponseWriter { return cw.rw }

// WriteHeader holds the status until the mode is decided; informational
// statuses other than 101 go out at once, as net/http sends them, and an
// invalid code reaches the wrapped writer, which panics.
func (cw *compressWriter) WriteHeader(code int) {
	switch {
	case cw.mode != compressUndecided:
		cw.rw.WriteHeader(code) // net/http reports the superfluous call
		return
	case cw.status != 0:
		return // a second status before the first was sent: ignored, as by net/http
	case code < 200 && code != http.StatusSwitchingProtocols, code > 999:
		cw.rw.WriteHeader(code) // 1xx goes out now; net/http panics on an invalid code
		return
	}
	cw.status = code
	if cw.decide(nil, compressWhyHeader) {
		_ = cw.commit() // a write error shows up again at the next Write
	}
}

func (cw *compressWriter) Write(p []byte) (int, error) {
	if cw.mode == compressUndecided {
		return cw.writeUndecided(p)
	}
	return cw.sink().Write(p)
}

// writeUndecided buffers p until the decision can be made, then makes it.
func (cw *compressWriter) writeUndecided(p []byte) (int, error) {
	if cw.status == 0 {
		cw.status = http.StatusOK
		if cw.decide(nil, compressWhyHeader) {
			if err := cw.commit(); err != nil {
				return 0, err
			}
			return cw.sink().Write(p)
		}
	}
	limit := cw.limit()
	if len(cw.buf)+len(p) < limit {
		cw.grow()
		cw.buf = append(cw.buf, p...)
		return len(p), nil
	}
	sample, used := p, 0
	if len(cw.buf) > 0 {
		used = limit - len(cw.buf)
		cw.buf = append(cw.buf, p[:used]...)
		sample = cw.buf
	}
	cw.decide(sample, compressWhyFull)
	if err := cw.commit(); err != nil {
		return 0, err
	}
	n, err := cw.sink().Write(p[used:])
	return used + n, err
}

// ReadFrom copies src into the body. Once the body is sent as it is, the
// wrapped writer's ReadFrom does the copy (net/http's uses sendfile).
func (cw *compressWriter) ReadFrom(src io.Reader) (int64, error) {
	var n int64
	if cw.mode == compressUndecided {
		if cw.status == 0 {
			cw.status = http.StatusOK
			if cw.decide(nil, compressWhyHeader) {
				if err := cw.commit(); err != nil {
					return 0, err
				}
			}
		}
		if cw.mode == compressUndecided {
			limit := cw.limit()
			cw.grow()
			for len(cw.buf) < limit {
				m, err := src.Read(cw.buf[len(cw.buf):limit])
				cw.buf = cw.buf[:len(cw.buf)+m]
				n += int64(m)
				if err == io.EOF {
					return n, nil // the rest of the body decides
				}
				if err != nil {
					return n, err
				}
			}
			cw.decide(cw.buf, compressWhyFull)
			if err := cw.commit(); err != nil {
				return n, err
			}
		}
	}
	switch cw.mode {
	case compressHijacked:
		return n, http.ErrHijacked
	case compressPass:
		if rf, ok := cw.rw.(io.ReaderFrom); ok {
			m, err := rf.ReadFrom(src)
			return n + m, err
		}
	}
	cw.grow()
	m, err := io.CopyBuffer(state.WriterOnly{Writer: cw.sink()}, compressReaderOnly{src}, cw.buf[:cap(cw.buf)])
	return n + m, err
}

// Flush sends what is buffered to the client; an error is dropped, as
// http.Flusher has no way to report it. Use FlushError to see it.
func (cw *compressWriter) Flush() { _ = cw.FlushError() }

// FlushError decides the mode if it is not yet (compressing a listed type
// whatever the size), flushes the gzip stream, then the connection.
func (cw *compressWriter) FlushError() error {
	if cw.mode == compressUndecided {
		if cw.status == 0 {
			cw.status = http.StatusOK
		}
		cw.decide(cw.buf, compressWhyFlush)
		if err := cw.commit(); err != nil {
			return err
		}
	}
	switch cw.mode {
	case compressHijacked:
		return http.ErrHijacked
	case compressGzipping:
		if err := cw.gz.zw.Flush(); err != nil {
			return err
		}
	}
	return http.NewResponseController(cw.rw).Flush()
}

// Hijack hands the connection over; see http.Hijacker. What was buffered
// is sent first, uncompressed, and nothing is written after.
func (cw *compressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if cw.mode == compressUndecided && cw.status != 0 {
		cw.mode = compressPass
		if err := cw.commit(); err != nil {
			return nil, nil, err
		}
	}
	c, rw, err := http.NewResponseController(cw.rw).Hijack()
	if err == nil {
		cw.mode = compressHijacked
	}
	return c, rw, err
}

// finish ends the response when the handler returns: a short body is
// sent as it is, a gzip stream gets its trailer.
func (cw *compressWriter) finish() {
	if cw.mode == compressUndecided {
		if cw.status == 0 { // nothing written: net/http sends the 200 itself
			cw.status = http.StatusOK
			cw.decide(nil, compressWhyEnd)
			return
		}
		cw.decide(cw.buf, compressWhyEnd)
		if cw.commit() != nil {
			return
		}
	}
	if cw.mode == compressGzipping {
		_ = cw.gz.zw.Close() // a client that left is no error to report
	}
}

// compressReaderOnly hides WriteTo, so io.CopyBuffer uses our buffer.
type compressReaderOnly struct{ io.Reader }

// compressHijackedWriter refuses writes after a hijack.
type compressHijackedWriter struct{}

func (compressHijackedWriter) Write([]byte) (int, error) { return 0, http.ErrHijacked }

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
