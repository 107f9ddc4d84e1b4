package jsontext

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// looksAt is wordNeedsLook byte by byte.
func looksAt(w string) bool {
	for i := 0; i < len(w); i++ {
		if b := w[i]; b < 0x20 || b == '"' || b == '\\' || b >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func TestWordNeedsLookIsExact(t *testing.T) {
	for pos := range 8 {
		for b := range 256 {
			for _, fill := range []byte{'a', ' ', '~', '!', '#', '[', ']'} {
				w := []byte{fill, fill, fill, fill, fill, fill, fill, fill}
				w[pos] = byte(b)
				if got, want := wordNeedsLook(word(string(w))), looksAt(string(w)); got != want {
					t.Fatalf("%q: wordNeedsLook %v, want %v", w, got, want)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		var w [8]byte
		for i := range w {
			w[i] = byte(0x18 + rng.IntN(0x70)) // around every edge
		}
		if got, want := wordNeedsLook(word(string(w[:]))), looksAt(string(w[:])); got != want {
			t.Fatalf("%q: wordNeedsLook %v, want %v", w, got, want)
		}
	}
}
