package state

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// Writer is the response writer the middlewares share: it passes
// everything through and records the status, the bytes of the body and
// whether the header has been sent.
//
// It keeps the optional behaviour of the writer it wraps: Flush and
// FlushError, Hijack and ReadFrom are forwarded (through
// http.ResponseController, so a writer that wraps another is seen through),
// and Unwrap returns the wrapped writer for http.ResponseController. Flush
// and Hijack report http.ErrNotSupported where the wrapped writer cannot
// (Hijack under HTTP/2). ReadFrom keeps the sendfile path of net/http and
// counts its bytes, which gorilla's logger misses.
type Writer struct {
	http.ResponseWriter

	// Status is the status sent, 0 until the header is written. A Write,
	// ReadFrom or Flush before WriteHeader sends 200; a successful Hijack
	// records 101.
	Status int

	// Bytes is the number of body bytes written.
	Bytes int64

	// CopyThroughWrite makes ReadFrom copy through the wrapped writer's
	// Write, for a wrapped writer that counts only what passes through its
	// Write (gorilla's logger); the sendfile path is lost.
	CopyThroughWrite bool
}

// Wrote reports whether the header has been sent, after which the status
// can no longer change.
func (w *Writer) Wrote() bool { return w.Status != 0 }

// WriteHeader records the first final status and passes code on.
// Informational statuses (1xx other than 101) pass through unrecorded.
func (w *Writer) WriteHeader(code int) {
	if w.Status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write sends b, recording the implicit 200 of a first Write, and counts
// the bytes written.
func (w *Writer) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.Bytes += int64(n)
	return n, err
}

// ReadFrom copies src to the response, through the wrapped writer's own
// ReadFrom when it has one (net/http's uses sendfile for files).
func (w *Writer) ReadFrom(src io.Reader) (int64, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok && !w.CopyThroughWrite {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(WriterOnly{w.ResponseWriter}, src)
	}
	w.Bytes += n
	return n, err
}

// Flush sends what is buffered to the client; an error is dropped, as
// http.Flusher has no way to report it. Use FlushError to see it.
func (w *Writer) Flush() { _ = w.FlushError() }

// FlushError sends what is buffered to the client.
func (w *Writer) FlushError() error {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to the caller; see http.Hijacker.
func (w *Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.Status == 0 {
		w.Status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WriterOnly hides every method of the writer it holds but Write. A
// ReadFrom that copies through io.Copy or io.CopyBuffer wraps its
// destination in one, so the copy cannot call ReadFrom back and loop.
type WriterOnly struct{ io.Writer }
