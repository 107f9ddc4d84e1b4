package middleware

import "github.com/microkit-go/micro/internal/panics"

// recoveredPanic is the error a recovered panic value p is reported as,
// with the current stack; when p already is one (panicked again by
// [Timeout] in another goroutine), it is kept, with the stack of where the
// panic happened.
func recoveredPanic(p any) *panics.Error {
	if e, ok := p.(*panics.Error); ok {
		return e
	}
	return panics.New("middleware: panic", p)
}
