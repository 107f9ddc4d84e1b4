package middleware

import (
	"bufio"
	"io"
	"net"
	"net/http"
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
	m, err := io.CopyBuffer(compressWriterOnly{cw.sink()}, compressReaderOnly{src}, cw.buf[:cap(cw.buf)])
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

// compressWriterOnly hides ReadFrom, so io.CopyBuffer cannot loop back.
type compressWriterOnly struct{ io.Writer }

// compressReaderOnly hides WriteTo, so io.CopyBuffer uses our buffer.
type compressReaderOnly struct{ io.Reader }

// compressHijackedWriter refuses writes after a hijack.
type compressHijackedWriter struct{}

func (compressHijackedWriter) Write([]byte) (int, error) { return 0, http.ErrHijacked }
