package micro

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/microkit-go/micro/send"
)

// Error is an error with an HTTP status and a public message (Micro's
// HttpError). [send.Error], and so [Handler], sends it as an RFC 9457
// problem with that status and the message as "detail", adding the headers
// set with [Error.WithHeader] and the problem members set with
// [Error.WithType], [Error.WithTitle], [Error.WithInstance] and
// [Error.With]. It is found through wrapping: a route may return
// fmt.Errorf("loading post: %w", err) and the status survives, while the
// wrapper's text is not sent.
//
// The message is shown to clients. Errors wrapped with %w are formatted into
// it as fmt.Errorf does, so wrap with %w only errors whose text may be
// public; to keep a cause private, log it or use [Error.Wrap].
//
// An Error from [Recovered] is a recovered panic: it has no status, and its
// message is logged, never sent.
type Error struct {
	status int
	msg    string
	header http.Header
	causes []error
	stack  []byte // of a recovered panic

	typ, title, instance string        // problem members; "" for the defaults
	members              []send.Member // extension members, in the order set
}

// Errorf returns an [*Error] with the status and a message formatted as
// fmt.Errorf formats it (Micro's createError). Every %w operand becomes a
// cause that errors.Is and errors.As see.
//
// A status outside 400–599 makes no sense for an error; [send.Error] treats
// such an Error as unclassified: a 500 with no detail, logged. The one
// exception is 304, which [Preconditions] returns for a conditional GET:
// send.Error sends it as a bare 304 Not Modified with the Error's headers.
func Errorf(status int, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{status: status, msg: err.Error()}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		e.causes = []error{u.Unwrap()}
	case interface{ Unwrap() []error }:
		e.causes = u.Unwrap()
	}
	return e
}

// Recovered returns the panic value v, recovered by a deferred function,
// as an unclassified [*Error]: its status is 0, so [send.Error] answers it
// with a 500 whose text is logged, with the stack, and never sent. Its
// message is "panic: " and v formatted with %v; [Error.Stack] is the
// current goroutine's stack, so call Recovered in the deferred function
// itself. When v is an error, errors.Is and errors.As see through to it.
// A v that already is an *Error from Recovered (a panic recovered in one
// goroutine and panicked again in another) is returned as it is.
//
// [Handler] recovers its function's panics itself; call Recovered for a
// panic in a goroutine of your own, and return the error from the route.
func Recovered(v any) *Error {
	if e, ok := v.(*Error); ok && e.Stack() != nil {
		return e
	}
	e := &Error{msg: fmt.Sprint("panic: ", v), stack: debug.Stack()}
	if err, ok := v.(error); ok {
		e.causes = []error{err}
	}
	return e
}

// The reading methods below accept a nil *Error, which a route returns by
// mistake as a non-nil error (a typed nil): it has no status, so
// [send.Error] answers it as an unclassified 500, logged as "nil
// *micro.Error", rather than panicking with the request unanswered.

// Error returns the message; "nil *micro.Error" for a nil e.
func (e *Error) Error() string {
	if e == nil {
		return "nil *micro.Error"
	}
	return e.msg
}

// StatusCode returns the HTTP status; 0 for a nil e.
func (e *Error) StatusCode() int {
	if e == nil {
		return 0
	}
	return e.status
}

// Unwrap returns the causes given with %w or [Error.Wrap], or the panic
// value of [Recovered] when that is an error.
func (e *Error) Unwrap() []error {
	if e == nil {
		return nil
	}
	return e.causes
}

// Stack returns the stack of the goroutine where the panic behind an
// [Error] from [Recovered] happened; nil for any other Error.
func (e *Error) Stack() []byte {
	if e == nil {
		return nil
	}
	return e.stack
}

// Header returns the headers sent with the error; nil if none was set.
func (e *Error) Header() http.Header {
	if e == nil {
		return nil
	}
	return e.header
}

// WithHeader adds a response header, such as Allow for 405, Retry-After for
// 429 or WWW-Authenticate for 401, and returns e:
//
//	micro.Errorf(429, "slow down").WithHeader("Retry-After", "30")
func (e *Error) WithHeader(key, value string) *Error {
	if e.header == nil {
		e.header = make(http.Header, 1)
	}
	e.header.Add(key, value)
	return e
}

// Wrap adds cause to what errors.Is and errors.As see through e, without
// putting its text in the public message, and returns e:
//
//	return nil, micro.Errorf(404, "no such post").Wrap(sql.ErrNoRows)
func (e *Error) Wrap(cause error) *Error {
	if cause != nil {
		e.causes = append(e.causes, cause)
	}
	return e
}

// statusOf returns the status carried by err, or 0.
func statusOf(err error) int {
	var e interface{ StatusCode() int }
	if errors.As(err, &e) {
		return e.StatusCode()
	}
	return 0
}
