package middleware

import (
	"log/slog"
	"net/http"

	"github.com/microkit-go/micro/internal/state"
)

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
