//go:build linux

package traceparent

import (
	"os"
	"runtime/debug"
	"syscall"
	"testing"
	"unsafe"
)

// TestParseReadsAPrefix shows that Parse reads at most the first 56 bytes
// of a 1 MB value: the value starts 56 bytes before the end of a readable
// page and goes on into memory that may not be read, so that a read of
// its 57th byte faults, and the fault becomes a panic that fails the test.
func TestParseReadsAPrefix(t *testing.T) {
	const readable, size = 56, 1 << 20
	page := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, page+size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	value := unsafe.String(&mem[page-readable], size)
	var b byte
	if !faults(func() { b = value[readable] }) {
		t.Fatalf("byte %d of the value reads as %q: the guard is not in place", readable, b)
	}

	for _, tc := range []struct {
		name, prefix string
		ok           bool
	}{
		{"version cc with a dash after the flags is valid", "cc-" + specTrace + "-" + specSpan + "-01-", true},
		{"version cc with a byte other than a dash after the flags is invalid", "cc-" + specTrace + "-" + specSpan + "-01x", false},
		{"version 00 is invalid", "00-" + specTrace + "-" + specSpan + "-01-", false},
		{"version ff is invalid", "ff-" + specTrace + "-" + specSpan + "-01-", false},
		{"all-zero parent-id is invalid", "cc-" + specTrace + "-0000000000000000-01-", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			copy(mem[page-readable:page], tc.prefix)
			var ok bool
			if faults(func() { _, ok = Parse([]string{value}) }) {
				t.Fatalf("Parse read past byte %d of a %d-byte value", readable, size)
			}
			if ok != tc.ok {
				t.Errorf("Parse(%q…) ok = %v, want %v", tc.prefix, ok, tc.ok)
			}
		})
	}
}

// faults reports whether f faulted on a memory access, which
// debug.SetPanicOnFault turns into a panic on the calling goroutine.
func faults(f func()) (faulted bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() { faulted = recover() != nil }()
	f()
	return false
}
