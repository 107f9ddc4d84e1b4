package middleware

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/report"
	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/internal/traceparent"
	"github.com/microkit-go/micro/send"
)

// Observation is what one finished request was: the one account of it
// that [Logger]'s line, [Observe]'s hook and the metrics and traces built
// on that hook all read.
type Observation struct {
	// Method is the request's method, as the client sent it.
	Method string
	// Route is [RouteFrom]: the pattern that matched, or "unmatched".
	Route string
	// Status is the status sent: 200 when the handler wrote nothing, as
	// net/http sends; 500 for a panic before anything was written; 499
	// when the client went away before an answer.
	Status int
	// BytesIn is the request body bytes the handlers read (through
	// [Observe] only: [Logger] does not count them).
	BytesIn int64
	// BytesOut is the response body bytes written, through io.Copy and
	// ReadFrom too; 0 for a HEAD, whose body net/http discards.
	BytesOut int64
	// Start is when the request reached the middleware.
	Start time.Time
	// Duration is the time until the handler returned: for a stream, until
	// the stream ended.
	Duration time.Duration
	// Cause is the error behind a 5xx, a recovered panic's included; nil
	// for any other status.
	Cause error
	// ClientGone reports that the client went away before the handler
	// returned: its connection closed, or the 499 of [send.Error].
	ClientGone bool
	// Streamed reports that the response was a stream of server-sent
	// events or NDJSON lines (micro.Stream, send.Stream); Items counts the
	// items it sent.
	Streamed bool
	Items    int64
	// TraceID and SpanID are those of a valid W3C traceparent header (the
	// trace and the caller's span); "" otherwise.
	TraceID, SpanID string
}

// Observe returns middleware that calls hook once per finished request,
// with its [Observation], after the handlers after Observe returned. A
// panic passing through is observed (as a 500, when nothing was written,
// with the recovered panic as Cause) and goes on after the hook: put
// [Recover] after Observe to answer it. hook receives the request as
// Observe handed it on: its context is the one Observe received, with the
// chain's state. Observe counts the request body bytes the handlers read,
// and adds no allocation of its own (the Observation is passed by value).
// Metrics and traces hang from it; [Logger] writes its line from the same
// account. A nil hook panics at construction.
func Observe(hook func(r *http.Request, o Observation)) func(http.Handler) http.Handler {
	if hook == nil {
		panic("middleware: Observe needs a hook")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, s := state.Attach(r)
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = s.CountBody(r.Body)
			}
			serveObserved(w, r, s, next, func(rw *state.Writer, start time.Time, p any) {
				var o Observation
				observe(&o, r, s, rw, start, p)
				// Not in observe: Logger's line has no use for it.
				o.ClientGone = o.Status == send.StatusClientClosedRequest || errors.Is(r.Context().Err(), context.Canceled)
				hook(r, o)
			})
		})
	}
}

// serveObserved serves r through next with the chain's recording writer,
// then calls done, whether next returned, called runtime.Goexit or
// panicked; a panic goes on after done.
func serveObserved(w http.ResponseWriter, r *http.Request, s *state.State, next http.Handler, done func(rw *state.Writer, start time.Time, p any)) {
	start := time.Now()
	rw, ok := w.(*state.Writer)
	if !ok {
		rw = s.Wrap(w)
	}
	completed := false
	defer func() {
		if completed {
			done(rw, start, nil)
			return
		}
		p := recover() // nil when the handler called runtime.Goexit
		done(rw, start, p)
		if p != nil {
			panic(p)
		}
	}()
	next.ServeHTTP(rw, r)
	completed = true
}

// observe sets *o, zero, to the Observation of r, served through rw from
// start, but for ClientGone; p is the panic passing through, if any. The
// Observation is filled in place: it is too large to copy on the way.
func observe(o *Observation, r *http.Request, s *state.State, rw *state.Writer, start time.Time, p any) {
	o.Method, o.Route, o.Status = r.Method, report.Route(r), rw.Status
	o.BytesIn, o.BytesOut, o.Start, o.Duration = s.BodyBytes(), rw.Bytes, start, time.Since(start)
	o.Streamed, o.Items = s.Log.Streamed, s.Log.Items
	cause := s.Log.Cause
	switch {
	case p != nil && p != http.ErrAbortHandler:
		if o.Status == 0 {
			o.Status = http.StatusInternalServerError
		}
		if cause == nil {
			cause = micro.Recovered(p)
		}
	case o.Status == 0:
		o.Status = http.StatusOK
	}
	if cause != nil && (o.Status >= 500 || p != nil) {
		o.Cause = cause
	}
	if r.Method == http.MethodHead {
		o.BytesOut = 0 // net/http discards a HEAD response's body: nothing was sent
	}
	if tp, ok := traceparent.Parse(r.Header["Traceparent"]); ok {
		o.TraceID, o.SpanID = tp.TraceID, tp.SpanID
	}
}
