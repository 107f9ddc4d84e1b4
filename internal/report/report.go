// Package report is the toolkit's logging policy for failed requests: which
// logger a request's errors go to, how a 5xx cause is logged once (on its
// own line or in an access-log middleware's), and the attributes that name
// the request in such a line.
package report

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/microkit-go/micro/internal/state"
)

// Report logs err, the cause of a response with the given 5xx status, once,
// and records it in the request's state, where observers read it: to an
// access-log middleware that reports it in its own line when one is in
// the chain (Reporting), else as its own error line with the request's
// [Attrs] and, when err carries a [Stack] (a recovered panic), the stack. A
// nil err is reported as a bug of its caller.
func Report(r *http.Request, err error, status int) {
	if err == nil {
		err = errors.New("send: Error called with a nil error")
	}
	if s := state.From(r.Context()); s != nil {
		s.Log.Cause = err // for the observers too
		if s.Log.Reporting {
			return
		}
	}
	a := Attrs(r, status)
	attrs := append(a[:], slog.Any("error", err))
	if st := Stack(err); st != nil {
		attrs = append(attrs, slog.String("stack", string(st)))
	}
	Logger(r).LogAttrs(r.Context(), slog.LevelError, "unhandled error", attrs...)
}

// ClientClosed logs, at debug level, that r was answered with status
// because its client went away: no error of the server's. An access-log
// middleware in the chain (Reporting) has the request in its own line, so
// then nothing is logged.
func ClientClosed(r *http.Request, status int) {
	if s := state.From(r.Context()); s != nil && s.Log.Reporting {
		return
	}
	a := Attrs(r, status)
	Logger(r).LogAttrs(r.Context(), slog.LevelDebug, "client closed request", a[:]...)
}

// The keys of the attributes that name a request in a log line.
const (
	KeyMethod = "method"
	KeyPath   = "path"
	KeyRoute  = "route"
	KeyStatus = "status"
)

// Attrs returns the attributes that name r in a log line: its method, its
// path, its [Route] and the status it was answered with. A status of 0
// (not known) makes the last an empty Attr, which slog handlers ignore.
func Attrs(r *http.Request, status int) [4]slog.Attr {
	return AttrsOf(r.Method, r.URL.Path, Route(r), status)
}

// AttrsOf is [Attrs] for a request's method, path and route read
// beforehand.
func AttrsOf(method, path, route string, status int) [4]slog.Attr {
	a := [4]slog.Attr{
		slog.String(KeyMethod, method),
		slog.String(KeyPath, path),
		slog.String(KeyRoute, route),
	}
	if status != 0 {
		a[3] = slog.Int(KeyStatus, status)
	}
	return a
}

// Unmatched is the route of a request no route was recorded for: a 404 of
// the router, or a request answered before routing. One value for them
// all, so that a route label's values stay as few as the routes.
const Unmatched = "unmatched"

// Route returns the pattern of the route that served r: the one recorded
// in r's state (by micro.Handler, middleware.SetRoute or
// middleware.Timeout), else r.Pattern, which http.ServeMux sets on the
// request it hands its handler, else [Unmatched].
func Route(r *http.Request) string {
	if s := state.From(r.Context()); s != nil && s.Data.Route != "" {
		return s.Data.Route
	}
	if r.Pattern != "" {
		return r.Pattern
	}
	return Unmatched
}

// Logger returns the logger set for the request, or slog.Default().
func Logger(r *http.Request) *slog.Logger {
	if s := state.From(r.Context()); s != nil && s.Log.Logger != nil {
		return s.Log.Logger
	}
	return slog.Default()
}

// Stack returns the stack of the recovered panic behind err: the first
// non-nil result of a Stack() []byte method in err's tree, or nil.
func Stack(err error) []byte {
	switch e := err.(type) {
	case nil:
		return nil
	case interface{ Stack() []byte }:
		if st := e.Stack(); st != nil {
			return st
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return Stack(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, err := range u.Unwrap() {
			if st := Stack(err); st != nil {
				return st
			}
		}
	}
	return nil
}

// OnPanic recovers a panic and hands its value to handle, which turns it
// into a 500 logged with its stack; http.ErrAbortHandler is panicked again,
// so it keeps aborting the connection. It does nothing without a panic. It
// must be the deferred call itself (defer report.OnPanic(handle)): called
// from inside another deferred function, recover finds nothing.
func OnPanic(handle func(p any)) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	handle(p)
}
