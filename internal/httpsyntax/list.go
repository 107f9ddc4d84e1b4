package httpsyntax

import (
	"iter"
	"strings"
)

// Elements returns the elements of a comma-separated list (RFC 9110
// section 5.6.1) given as header field lines, reading at most budget bytes
// over all lines, each line costing its length plus one. A line longer
// than what is left is cut there and its last element, which may be
// truncated, is dropped; the lines after it are not read. Elements are not
// trimmed; an empty element between two commas is yielded, a trailing one
// is not, and an empty line yields nothing.
func Elements(lines []string, budget int) iter.Seq[string] {
	return func(yield func(string) bool) {
		left := budget
		for _, l := range lines {
			if left <= 0 {
				return
			}
			cut := len(l) > left
			if cut {
				l = l[:left]
			}
			left -= len(l) + 1
			for l != "" {
				i := strings.IndexByte(l, ',')
				if i < 0 {
					if !cut && !yield(l) {
						return
					}
					break
				}
				if !yield(l[:i]) {
					return
				}
				l = l[i+1:]
			}
		}
	}
}
