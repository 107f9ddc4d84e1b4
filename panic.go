package micro

import "fmt"

// panicError is a recovered panic, reported as an unclassified error.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("micro: panic in handler: %v", p.value) }

// Stack is the goroutine's stack at the panic; the error log includes it.
func (p *panicError) Stack() []byte { return p.stack }

// Unwrap returns the panic value when it is an error, so errors.Is sees
// through a panic(err).
func (p *panicError) Unwrap() error {
	err, _ := p.value.(error)
	return err
}
