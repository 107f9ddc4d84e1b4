package state

import (
	"errors"
	"log/slog"
	"net/http"
)

// Report logs err, the cause of a response with the given 5xx status, once:
// to an access-log middleware that reports it in its own line when one is
// in the chain (Reporting), else as its own error line with method, path,
// status and, when err has a Stack() []byte method (a recovered panic), the
// stack. A nil err is reported as a bug of its caller.
func Report(r *http.Request, err error, status int) {
	if err == nil {
		err = errors.New("send: Error called with a nil error")
	}
	if s := From(r.Context()); s != nil && s.Reporting {
		s.Cause = err
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Any("error", err),
	}
	if st := Stack(err); st != nil {
		attrs = append(attrs, slog.String("stack", string(st)))
	}
	Logger(r).LogAttrs(r.Context(), slog.LevelError, "unhandled error", attrs...)
}

// Stack returns the stack of the recovered panic behind err, or nil.
func Stack(err error) []byte {
	var st interface{ Stack() []byte }
	if errors.As(err, &st) {
		return st.Stack()
	}
	return nil
}
