package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/report"
	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/send"
)

// Timeout returns middleware that bounds how long a route may take to start
// its response: a route that has not started it d after the request reached
// the middleware is cut off, and the client gets at that moment the 503
// Service Unavailable problem that [send.Error] writes (or its quiet 499
// when the client has gone). A response has started once the route has
// called WriteHeader with a final status, Write, ReadFrom, Flush or Hijack.
//
// The route's context has a Deadline d from the start (or the parent's,
// when earlier). A route cut off has its context canceled (Err reports
// context.DeadlineExceeded; contexts derived from it report
// context.Canceled with a Cause wrapping it), its body reads and later
// writes fail with [http.ErrHandlerTimeout], the headers it set are not in
// the 503, and the connection is closed unless the body was read to its
// end. A route that has started is not cut: its deadline is lifted and
// its writes go straight through, so streams and Flush work (unlike
// [http.TimeoutHandler], which buffers the body).
//
// The route runs in its own goroutine, so the 503 goes out even when it
// ignores its context; what a route cut off still writes to the request
// state is discarded. A panic in the route is panicked again in the
// caller's goroutine as the [*micro.Error] of [micro.Recovered], for a
// [Recover] or [Logger] before Timeout; after the 503 it is logged and
// dropped. Put Timeout after [Recover], [Logger], [RequestID], [ClientIP]
// and [BodyLimit], and before the routes. A d of zero or less panics at
// construction, with the message of the error [ValidateTimeout] returns,
// as does a nil handler.
func Timeout(d time.Duration) func(http.Handler) http.Handler {
	mustValid(ValidateTimeout(d))
	cfg := &timeoutConfig{
		d:       d,
		cause:   fmt.Errorf("middleware: Timeout: the response did not start within %v: %w", d, context.DeadlineExceeded),
		problem: micro.Errorf(http.StatusServiceUnavailable, "the server did not start its response within %v", d),
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: Timeout wraps a nil http.Handler")
		}
		return &timeoutHandler{cfg: cfg, next: next}
	}
}

// timeoutConfig is what a Timeout computes once and shares, read-only,
// between every request.
type timeoutConfig struct {
	d       time.Duration
	cause   error        // context.Cause of a route cut off at the deadline
	problem *micro.Error // the 503 it gets
}

type timeoutHandler struct {
	cfg  *timeoutConfig
	next http.Handler
}

// timeoutRun is one request under Timeout: the route's context, writer and
// copy of the state in one allocation.
type timeoutRun struct {
	ctx  timeoutCtx
	w    timeoutRouteWriter
	body timeoutBody   // the route's request body, when it has one
	st   state.State   // the route's copy of the shared state
	done chan struct{} // closed when the route returned in time

	// Set by the route goroutine under w.mu before done is closed.
	finished bool
	panicked bool
	panicVal any
}

func (h *timeoutHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, s := state.Attach(r)
	cctx, cancel := context.WithCancelCause(r.Context())
	run := &timeoutRun{
		w:    timeoutRouteWriter{timeoutWriter{w: w}},
		st:   *s,
		done: make(chan struct{}),
	}
	run.ctx = timeoutCtx{
		Context:  cctx,
		deadline: time.Now().Add(h.cfg.d),
		shared:   s,
		own:      &run.st,
	}
	// The second clone of the chain, and the only one allowed: the route's
	// context must change. Its state is run.st, through timeoutCtx.Value:
	// the per-request state (request ID, logger, client IP, cookies) stays
	// visible, since the context is derived from the request's, but the
	// route works on its own copy, copied back when it returns in time, so
	// a route still running after the 503 never writes what [Logger] or
	// [Recover] are reading. (A ClientIP after a Timeout that cuts the
	// route off found its address in that discarded copy.)
	rr := r.WithContext(&run.ctx)
	if r.Body != nil && r.Body != http.NoBody {
		run.body.rc, run.body.closer, rr.Body = r.Body, r.Body, &run.body
	}

	// Not pooled: a timer or channel made in one synctest bubble must not
	// be used in another, and users test their routes in bubbles.
	timer := time.NewTimer(h.cfg.d)
	go run.serve(h.next, rr)
	select {
	case <-run.done:
		timer.Stop()
	case <-timer.C:
		if run.expire() {
			cancel(h.cfg.cause)
			h.reply(w, r, &run.body)
			return
		}
		<-run.done // started (or just finished): it is not cut
	}
	cancel(nil)
	run.finish(s)
}

// reply answers a route cut off at the deadline, after cutting its body
// off. A client that went away gets the quiet 499 of [send.Error] rather
// than a logged 503. No Retry-After is sent: a slow route says nothing
// about when it will be faster.
func (h *timeoutHandler) reply(w http.ResponseWriter, r *http.Request, body *timeoutBody) {
	var err error = h.cfg.problem
	// Decided before the cut: a read the cut ends cancels the request's
	// context, as net/http does when a read from the connection fails.
	if cerr := r.Context().Err(); errors.Is(cerr, context.Canceled) {
		err = cerr
	}
	// The cut ends a read in progress at once (the connection's read
	// deadline is set, through http.ResponseController), so the 503 goes
	// out on time even while the route waits for a client that stopped
	// sending, with no server ReadTimeout, and a read that passes a
	// [BodyLimit] never races with the 503. Behind a writer that hides
	// net/http's (no Unwrap reaching it) a read in progress cannot be
	// ended: the 503 is sent, but the connection stays open until that
	// read returns.
	if body.rc != nil && body.cut(w) && r.ProtoMajor == 1 {
		// The rest of the body will not be read: the connection cannot
		// carry another request. (Under HTTP/2 the stream ends alone, and
		// Connection: close would end every stream of the connection.)
		w.Header().Set("Connection", "close")
	}
	send.Error(w, r, err)
}

// serve runs the route in its own goroutine and hands its outcome, panic
// included, to ServeHTTP, or logs the panic when the route was cut off.
func (run *timeoutRun) serve(next http.Handler, r *http.Request) {
	defer func() {
		p := recover()
		run.w.mu.Lock()
		if run.w.timedOut {
			run.w.mu.Unlock()
			if p != nil && p != http.ErrAbortHandler {
				err := micro.Recovered(p)
				a := report.Attrs(r, 0) // a 503 or a 499, decided elsewhere
				report.Logger(r).LogAttrs(r.Context(), slog.LevelError, "panic in a route after its timeout",
					a[0], a[1], a[2], slog.Any("error", err), slog.String("stack", string(err.Stack())))
			}
			return
		}
		run.finished = true
		if r.Pattern != "" && run.st.Data.Route == "" {
			// Routed on the route's own clone: the log line learns it here.
			run.st.Data.Route = r.Pattern
		}
		run.panicked, run.panicVal = p != nil, p
		// A panic before the deadline, or in a route whose response had
		// started, goes on in the caller's goroutine; after the 503 it was
		// logged above, with its stack, and dropped, never crashing the
		// process (http.ErrAbortHandler silently).
		if p != nil && p != http.ErrAbortHandler {
			// The stack is the route goroutine's, where the panic happened;
			// the one in the caller's goroutine would not show it. The
			// Error unwraps to the original value when that was an error;
			// http.ErrAbortHandler goes on as it is, keeping its meaning.
			run.panicVal = micro.Recovered(p)
		}
		run.w.mu.Unlock()
		close(run.done)
	}()
	next.ServeHTTP(&run.w, r)
}

// expire is called at the deadline. It reports whether the route is cut
// off: it had neither started its response nor returned.
func (run *timeoutRun) expire() bool {
	run.w.mu.Lock()
	defer run.w.mu.Unlock()
	if run.w.started || run.finished {
		return false
	}
	run.w.timedOut = true
	run.w.w = nil // it may serve another request once the 503 is sent
	return true
}

// finish completes a route that returned in time: headers it set without
// writing anything become the response's, its state is copied back, and a
// panic goes on in the caller's goroutine.
func (run *timeoutRun) finish(s *state.State) {
	run.w.mu.Lock()
	run.w.start()
	run.w.mu.Unlock()
	timeoutJoin(s, &run.st)
	if run.panicked {
		panic(run.panicVal)
	}
}

// timeoutJoin copies back what the route changed in its copy of the state:
// its Log and Data, whatever fields they have.
func timeoutJoin(s, own *state.State) {
	s.Log, s.Data = own.Log, own.Data
}

// timeoutCtx is the route's context. It embeds a cancel context, so Done,
// Value for the context package's own key and contexts derived from it come
// from that context without a goroutine, and adds the deadline, an Err
// that says a timeout is one, and the route's own copy of the state.
type timeoutCtx struct {
	context.Context // from context.WithCancelCause

	deadline    time.Time
	shared, own *state.State
}

// Deadline reports the middleware's deadline, or the parent's when earlier.
// It stays the same once the deadline is lifted.
func (c *timeoutCtx) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// Err is context.DeadlineExceeded when the context was canceled by a
// timeout (this one or an enclosing one), else the cancel context's error.
// Contexts derived from this one (context.WithCancel, WithTimeout) do not
// call it: they report context.Canceled, and their context.Cause wraps
// context.DeadlineExceeded.
func (c *timeoutCtx) Err() error {
	err := c.Context.Err()
	if err == context.Canceled && errors.Is(context.Cause(c.Context), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// Value is the embedded context's, except that the shared state is
// replaced by the route's copy.
func (c *timeoutCtx) Value(key any) any {
	v := c.Context.Value(key)
	if s, ok := v.(*state.State); ok && s == c.shared {
		return c.own
	}
	return v
}

func (c *timeoutCtx) String() string { return "middleware.Timeout" }

// ValidateTimeout reports whether [Timeout] accepts d: nil, or a
// [*ConfigError] when d is zero or less.
func ValidateTimeout(d time.Duration) error {
	if d <= 0 {
		return configError("Timeout", "middleware: Timeout needs a positive duration, got "+d.String())
	}
	return nil
}
