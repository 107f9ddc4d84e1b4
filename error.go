package micro

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error with an HTTP status and a public message (Micro's
// HttpError). [send.Error], and so [Handler], sends it as an RFC 9457
// problem with that status and the message as "detail", adding the headers
// set with [Error.WithHeader]. It is found through wrapping: a route may
// return fmt.Errorf("loading post: %w", err) and the status survives, while
// the wrapper's text is not sent.
//
// The message is shown to clients. Errors wrapped with %w are formatted into
// it as fmt.Errorf does, so wrap with %w only errors whose text may be
// public; to keep a cause private, log it or use [Error.Wrap].
type Error struct {
	status int
	msg    string
	header http.Header
	causes []error
}

// Errorf returns an [*Error] with the status and a message formatted as
// fmt.Errorf formats it (Micro's createError). Every %w operand becomes a
// cause that errors.Is and errors.As see.
//
// A status outside 400–599 makes no sense for an error; [send.Error] treats
// such an Error as unclassified: a 500 with no detail, logged.
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

// Error returns the message.
func (e *Error) Error() string { return e.msg }

// StatusCode returns the HTTP status.
func (e *Error) StatusCode() int { return e.status }

// Unwrap returns the causes given with %w or [Error.Wrap].
func (e *Error) Unwrap() []error { return e.causes }

// Header returns the headers sent with the error; nil if none was set.
func (e *Error) Header() http.Header { return e.header }

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
