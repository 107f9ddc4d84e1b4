package middleware

import (
	"log/slog"
	"net/http"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/report"
	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/send"
)

// Recover returns middleware that turns a panic in the handlers after it
// into a response, so one bad request cannot take the server down.
//
// When nothing has been written yet, the client gets a 500 problem, the
// same [send.Error] writes, with no detail: the panic value and the stack
// are logged, never sent. When the response has already started, its
// status is on the wire and cannot change, so the connection is aborted
// (by panicking with http.ErrAbortHandler, which net/http handles quietly)
// and the client sees a truncated response rather than a wrong one.
//
// The panic is logged once, with its stack: by [Logger] in its line for
// the request when it is in the chain before Recover, else as its own
// error line. A panic with http.ErrAbortHandler is re-panicked untouched,
// keeping its meaning. Headers set by the handler before it panicked are
// kept, except the representation headers that [send.Error] replaces.
func Recover() func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw, ok := w.(*state.Writer)
			if !ok {
				// Recover needs no per-request state of its own: it uses the
				// chain's when there is one, and otherwise costs one small
				// writer rather than a request clone.
				if s := state.From(r.Context()); s != nil {
					rw = s.Wrap(w)
				} else {
					rw = &state.Writer{ResponseWriter: w}
				}
			}
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				err := micro.Recovered(p)
				if rw.Wrote() {
					report.Report(r, err, http.StatusInternalServerError)
					panic(http.ErrAbortHandler)
				}
				send.Error(rw, r, err)
			}()
			next.ServeHTTP(rw, r)
		})
	}
}

// ErrorLogger returns middleware that makes [send.Error] log unclassified
// errors to l instead of slog.Default(), for every request that passes
// through it. It attaches the per-request state the rest of the toolkit
// shares, so the request is cloned at most once however many of our
// middlewares run. A nil l panics at construction.
func ErrorLogger(l *slog.Logger) func(http.Handler) http.Handler {
	if l == nil {
		panic("middleware: ErrorLogger needs a non-nil *slog.Logger")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, s := state.Attach(r)
			s.Log.Logger = l
			next.ServeHTTP(w, r)
		})
	}
}
