// Package state holds the one per-request struct that crosses package
// boundaries through the request context: what the logging middleware and
// [send.Error] must share without importing each other.
//
// A request carries at most one *State, attached by the first piece of code
// that needs it; everything after it reuses that struct, so a whole
// middleware chain clones the request at most once.
package state

import (
	"context"
	"log/slog"
	"net/http"
)

// State is the per-request data shared along the chain. Its fields are
// written and read by the goroutine serving the request; code that hands
// the request to another goroutine must not write them there.
type State struct {
	// Logger is where unclassified errors are logged; nil means slog.Default().
	Logger *slog.Logger

	// Reporting is set by an access-log middleware that logs the 5xx cause
	// in its own line: [send.Error] then records the cause in Cause instead
	// of logging it separately.
	Reporting bool

	// Cause is the unclassified error behind a 5xx response, when Reporting.
	Cause error
}

type key struct{}

// From returns the request's State, or nil when none is attached.
func From(ctx context.Context) *State {
	s, _ := ctx.Value(key{}).(*State)
	return s
}

// Attach returns r with a State attached and that State. When r already
// carries one, r itself is returned and no clone is made.
func Attach(r *http.Request) (*http.Request, *State) {
	if s := From(r.Context()); s != nil {
		return r, s
	}
	s := new(State)
	return r.WithContext(context.WithValue(r.Context(), key{}, s)), s
}
