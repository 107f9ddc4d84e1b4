package middleware

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// timeoutBody is the request body a route gets under [Timeout]. A read
// holds mu for as long as it runs, so at the deadline the middleware can
// wait for a read in flight to end (cut) before it writes the 503: under
// HTTP/1.x net/http cannot write the header while a read holds the body,
// and a read past a [BodyLimit] tells net/http's response to close the
// connection, which must not happen while the 503 is written. Once cut,
// reads fail with http.ErrHandlerTimeout and never reach the body again.
type timeoutBody struct {
	rc   io.ReadCloser
	mu   sync.Mutex // held by Read for its whole call, and by Close unless a read is in flight
	dead atomic.Bool
	eof  bool // the body was read to its end; under mu

	// closer is rc, kept when cut clears rc: a Close during a read closes
	// it without waiting for the read, which it ends (under HTTP/2).
	closer io.Closer
}

func (b *timeoutBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dead.Load() {
		return 0, http.ErrHandlerTimeout
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// Close closes the body; after the timeout it does nothing, as the server
// closes the body itself. It does not wait for a read in flight: closing
// the body is how a route ends a read blocked on the client, as net/http's
// HTTP/2 body allows (its HTTP/1.x body waits for the read itself).
func (b *timeoutBody) Close() error {
	if !b.mu.TryLock() {
		if b.dead.Load() {
			return nil
		}
		return b.closer.Close()
	}
	defer b.mu.Unlock()
	if b.dead.Load() {
		return nil
	}
	return b.rc.Close()
}

// cut ends the route's use of the body at the deadline, before the 503 is
// written to w. Unless the body was read to its end, the connection's read
// deadline is set to now, so a read blocked on the client returns at once,
// and cut waits for a read in flight to return. It reports whether the
// body was left unread: the connection cannot then serve another request.
//
// When w cannot set a read deadline (no net/http writer below it), a read
// in flight is not waited for: it may not return at all.
func (b *timeoutBody) cut(w http.ResponseWriter) bool {
	b.dead.Store(true)
	locked := b.mu.TryLock() // else a read is in flight
	unread := !locked || !b.eof
	if unread && http.NewResponseController(w).SetReadDeadline(time.Now()) == nil && !locked {
		b.mu.Lock() // the read in flight has returned, and no other starts
		locked = true
	}
	if locked {
		b.rc = nil // the body, and the writer a BodyLimit gave it, are out of reach
		b.mu.Unlock()
	}
	return unread
}
