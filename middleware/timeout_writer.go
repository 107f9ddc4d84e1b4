package middleware

import (
	"bufio"
	"io"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/microkit-go/micro/internal/state"
)

// timeoutWriter guards the writer a route gets under [Timeout]. Every
// method holds mu, so the route and the middleware's deadline never touch
// the real writer at the same time, and once the route is cut off
// (timedOut) the real writer is never touched by the route again: w is
// cleared and every method returns http.ErrHandlerTimeout or does nothing.
//
// Until the response starts, the route's headers go to h, a copy of the
// real header made at its first Header call, so headers set by a route
// that then times out are not in the 503. The first WriteHeader (final
// status), Write, ReadFrom, Flush or Hijack makes h the real header and
// passes everything straight through from then on: nothing is buffered.
type timeoutWriter struct {
	w http.ResponseWriter

	mu       sync.Mutex
	h        http.Header // the route's header until started, nil until asked
	started  bool
	timedOut bool
}

// Header returns the route's copy of the header until the response starts,
// the real header after.
func (tw *timeoutWriter) Header() http.Header {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.started {
		return tw.w.Header()
	}
	if tw.h == nil {
		if tw.timedOut {
			tw.h = make(http.Header) // the real one is the 503's now
		} else {
			tw.h = tw.w.Header().Clone()
		}
	}
	return tw.h
}

// start marks the response started and makes the route's header the real
// one; mu must be held. After the timeout it returns
// http.ErrHandlerTimeout and changes nothing.
func (tw *timeoutWriter) start() error {
	if tw.timedOut {
		return http.ErrHandlerTimeout
	}
	if !tw.started {
		tw.started = true
		if tw.h != nil {
			timeoutSetHeader(tw.w.Header(), tw.h)
			tw.h = nil
		}
	}
	return nil
}

// timeoutSetHeader makes dst hold exactly src.
func timeoutSetHeader(dst, src http.Header) {
	clear(dst)
	maps.Copy(dst, src)
}

// WriteHeader sends code. A 1xx other than 101 goes out with the route's
// headers and starts nothing (the real header is restored after it); any
// other code starts the response. After the timeout it is dropped.
func (tw *timeoutWriter) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return
	}
	if !tw.started && code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		if tw.h == nil {
			tw.w.WriteHeader(code)
			return
		}
		dst := tw.w.Header()
		saved := dst.Clone()
		timeoutSetHeader(dst, tw.h)
		tw.w.WriteHeader(code)
		timeoutSetHeader(dst, saved)
		return
	}
	_ = tw.start()
	tw.w.WriteHeader(code)
}

func (tw *timeoutWriter) Write(b []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if err := tw.start(); err != nil {
		return 0, err
	}
	return tw.w.Write(b)
}

// ReadFrom copies src to the response through the real writer's ReadFrom
// when it has one (net/http's uses sendfile for files).
func (tw *timeoutWriter) ReadFrom(src io.Reader) (int64, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if err := tw.start(); err != nil {
		return 0, err
	}
	if rf, ok := tw.w.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(state.WriterOnly{Writer: tw.w}, src)
}

// Flush sends what is buffered; use FlushError to see an error.
func (tw *timeoutWriter) Flush() { _ = tw.FlushError() }

// FlushError starts the response and sends what is buffered; it reports
// http.ErrNotSupported when the real writer cannot flush.
func (tw *timeoutWriter) FlushError() error {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if err := tw.start(); err != nil {
		return err
	}
	return http.NewResponseController(tw.w).Flush()
}

// Hijack hands the connection to the route; see http.Hijacker. A
// successful Hijack starts the response.
func (tw *timeoutWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return nil, nil, http.ErrHandlerTimeout
	}
	c, rw, err := http.NewResponseController(tw.w).Hijack()
	if err == nil {
		tw.started, tw.h = true, nil
	}
	return c, rw, err
}

// SetReadDeadline, SetWriteDeadline and EnableFullDuplex are guarded too,
// so http.ResponseController finds them here rather than through Unwrap:
// after the timeout the connection may serve another request.

func (tw *timeoutWriter) SetReadDeadline(t time.Time) error {
	return tw.control(func(rc *http.ResponseController) error { return rc.SetReadDeadline(t) })
}

func (tw *timeoutWriter) SetWriteDeadline(t time.Time) error {
	return tw.control(func(rc *http.ResponseController) error { return rc.SetWriteDeadline(t) })
}

func (tw *timeoutWriter) EnableFullDuplex() error {
	return tw.control((*http.ResponseController).EnableFullDuplex)
}

// control calls f with the real writer's controller, under mu; after the
// timeout it returns http.ErrHandlerTimeout without calling f.
func (tw *timeoutWriter) control(f func(*http.ResponseController) error) error {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return http.ErrHandlerTimeout
	}
	return f(http.NewResponseController(tw.w))
}

// timeoutRouteWriter is the writer the route gets: timeoutWriter and an
// Unwrap.
type timeoutRouteWriter struct{ timeoutWriter }

// Unwrap returns the same guarded writer, as a type without Unwrap, so an
// Unwrap chain ends there. The writer below is never handed out: after the
// 503 it may already serve another request ([Compress] pools its writers).
// http.ResponseController needs no Unwrap here, as the guarded writer has
// every method it looks for. So a [BodyLimit] placed after Timeout cannot
// reach net/http's writer: a body it cuts does not close the connection,
// and net/http reads on (up to 256 KiB) to reuse it.
func (rw *timeoutRouteWriter) Unwrap() http.ResponseWriter { return &rw.timeoutWriter }
