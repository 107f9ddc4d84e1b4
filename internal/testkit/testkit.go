// Package testkit holds the helpers this repository's tests share: a log
// buffer safe for concurrent use ([Log]), a response writer that keeps
// nothing ([Discard], [Bench]), an RFC 9457 problem decoder ([Problem]), a
// one-request server ([Fetch]), raw bytes on a connection ([Send], [Dial],
// [ReadResponse]), a counting body ([CountingReader]), a panic catcher
// ([Recover]) and the waits a streaming test needs. It is for this
// repository's tests only.
//
// It imports the standard library alone, so that the internal tests of
// every package of the module can import it without a cycle.
package testkit

import (
	"runtime"
	"testing"
	"time"
)

// Patience bounds every wait for something that must happen; reaching it
// is a failure, never a measurement.
const Patience = 10 * time.Second

// WaitClosed waits for ch to be closed and fails the test if that takes
// longer than limit; what names the awaited event in the failure.
func WaitClosed(t testing.TB, ch <-chan struct{}, limit time.Duration, what string) {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
		t.Fatalf("%s: not within %v", what, limit)
	}
}

// WaitGoroutines waits until no more goroutines run than base, and fails
// the test with the stacks of all goroutines if that takes longer than
// limit.
func WaitGoroutines(t testing.TB, base int, limit time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(limit); runtime.NumGoroutine() > base; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the test:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Recover calls f and returns what recover returns after it: the value f
// panicked with, or nil if f returned normally.
func Recover(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}
