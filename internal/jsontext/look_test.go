package jsontext

import (
	"math/rand/v2"
	"strconv"
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

// plainPrefixBytes is plainPrefix byte by byte.
func plainPrefixBytes(s string) int {
	for i := 0; i < len(s); i++ {
		if looksAt(s[i : i+1]) {
			return i
		}
	}
	return len(s)
}

func TestPlainPrefixEveryLengthAndPosition(t *testing.T) {
	for n := range 33 {
		plain := make([]byte, n)
		for i := range plain {
			plain[i] = byte('a' + i%26)
		}
		if got := plainPrefix(string(plain)); got != n {
			t.Fatalf("%q: plainPrefix %d, want %d", plain, got, n)
		}
		for pos := range n {
			for _, bad := range []byte{0, 0x1f, '"', '\\', 0x80, 0xff} {
				s := []byte(string(plain))
				s[pos] = bad
				if got, want := plainPrefix(string(s)), plainPrefixBytes(string(s)); got != want {
					t.Fatalf("%q: plainPrefix %d, want %d", s, got, want)
				}
			}
		}
	}
}

func BenchmarkPlainPrefix(b *testing.B) {
	for _, s := range []string{"GET", "request", "192.0.2.1", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"} {
		b.Run("len="+strconv.Itoa(len(s)), func(b *testing.B) {
			for b.Loop() {
				if plainPrefix(s) != len(s) {
					b.Fatal("not plain")
				}
			}
		})
	}
}
