package middleware

import (
	"fmt"
	"net/http"
)

// statusError is a public error a middleware answers with: [send.Error]
// writes it as a problem with its status, its message as the detail and
// its headers.
type statusError struct {
	status int
	msg    string
	header http.Header
}

// problem returns a statusError with a formatted message.
func problem(status int, format string, args ...any) *statusError {
	return &statusError{status: status, msg: fmt.Sprintf(format, args...)}
}

func (e *statusError) Error() string       { return e.msg }
func (e *statusError) StatusCode() int     { return e.status }
func (e *statusError) Header() http.Header { return e.header }
