package testkit

import (
	"net/http"
	"testing"
)

// Discard is an http.ResponseWriter and http.Flusher that keeps nothing
// but counts, so that a benchmark or an allocation count measures the
// handler and not a recorder. Its header map is made once and cleared by
// Reset, never reallocated. The zero value is ready to use.
type Discard struct {
	// Status is the last status passed to WriteHeader, 0 before the first.
	Status int
	// Bytes is how many body bytes were written.
	Bytes int
	// Flushes is how many times Flush was called.
	Flushes int

	h http.Header
}

// Header returns the header map, made on the first call.
func (w *Discard) Header() http.Header {
	if w.h == nil {
		w.h = make(http.Header)
	}
	return w.h
}

// WriteHeader records status.
func (w *Discard) WriteHeader(status int) { w.Status = status }

// Write counts p and drops it; it never fails.
func (w *Discard) Write(p []byte) (int, error) { w.Bytes += len(p); return len(p), nil }

// Flush counts the call.
func (w *Discard) Flush() { w.Flushes++ }

// Reset clears the header map, keeping it, and the counts.
func (w *Discard) Reset() {
	clear(w.h)
	w.Status, w.Bytes, w.Flushes = 0, 0, 0
}

// Bench serves r through h once per iteration of b's loop on one Discard
// reset between requests, reporting allocations.
func Bench(b *testing.B, h http.Handler, r *http.Request) {
	b.Helper()
	w := &Discard{}
	w.Header()
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		h.ServeHTTP(w, r)
	}
}
