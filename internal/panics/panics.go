// Package panics turns a recovered panic into an error that carries its
// stack, shared by micro.Handler and middleware.Recover so both report a
// panic the same way.
package panics

import (
	"fmt"
	"runtime/debug"
)

// Error is a recovered panic, reported as an unclassified error: a 500
// whose text and stack go to the log, never to the client.
type Error struct {
	where string
	value any
	stack []byte
}

// New returns the panic value v as an error whose message starts with
// where, with the current goroutine's stack. Call it inside the deferred
// function that recovered v, so the stack shows where the panic happened.
func New(where string, v any) *Error {
	return &Error{where: where, value: v, stack: debug.Stack()}
}

func (p *Error) Error() string { return fmt.Sprintf("%s: %v", p.where, p.value) }

// Stack is the goroutine's stack at the panic; the error log includes it.
func (p *Error) Stack() []byte { return p.stack }

// Unwrap returns the panic value when it is an error, so errors.Is sees
// through a panic(err).
func (p *Error) Unwrap() error {
	err, _ := p.value.(error)
	return err
}
