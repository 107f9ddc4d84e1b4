package send

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/microkit-go/micro/internal/httpsyntax"
	"github.com/microkit-go/micro/internal/report"
)

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// writeReader streams rd with the given status. It reads the first bytes
// before committing the response, so a reader that fails at once still
// becomes a 500 problem; a read error after that aborts the connection with
// http.ErrAbortHandler, because the status is already on the wire. rd is
// closed when it is an io.Closer. For HEAD, and for statuses that carry no
// body, rd is not read.
func writeReader(w http.ResponseWriter, r *http.Request, status int, rd io.Reader, head bool) {
	if c, ok := rd.(io.Closer); ok {
		defer c.Close()
	}
	if !httpsyntax.BodyAllowed(status) {
		w.WriteHeader(status)
		return
	}
	size := knownSize(rd)
	if head {
		setStreamHeaders(w.Header(), size)
		w.WriteHeader(status)
		return
	}

	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	n, err := readSome(rd, buf)
	if n == 0 && err != nil && err != io.EOF {
		Error(w, r, fmt.Errorf("send: reading response body: %w", err))
		return
	}
	setStreamHeaders(w.Header(), size)
	w.WriteHeader(status)
	if n > 0 {
		if _, werr := w.Write(buf[:n]); werr != nil {
			return // the client is gone; nothing more to do
		}
	}
	if err == nil {
		src := &errReader{r: rd}
		_, _ = io.CopyBuffer(w, src, buf) // a write error means the client is gone
		err = src.err
	}
	if err != nil && err != io.EOF {
		report.Report(r, fmt.Errorf("send: reading response body after the first byte: %w", err), http.StatusInternalServerError)
		panic(http.ErrAbortHandler)
	}
}

func setStreamHeaders(h http.Header, size int64) {
	if size >= 0 {
		setTypeAndLength(h, valueOctets, int(size))
		return
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = valueOctets
	}
}

// readSome reads until it has at least one byte or an error: io.Reader
// allows reads that return 0, nil.
func readSome(rd io.Reader, buf []byte) (int, error) {
	for range 100 {
		n, err := rd.Read(buf)
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// knownSize returns the number of bytes left in rd, or -1 when it cannot be
// known without reading.
func knownSize(rd io.Reader) int64 {
	switch v := rd.(type) {
	case interface{ Len() int }: // bytes.Buffer, bytes.Reader, strings.Reader
		return int64(v.Len())
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil || off > fi.Size() {
			return -1
		}
		return fi.Size() - off
	}
	return -1
}

// errReader remembers the read error, so that a failing source can be told
// from a failing destination after io.Copy.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}
