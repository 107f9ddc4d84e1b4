package traceparent

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// referenceGrammar is the traceparent value of W3C Trace Context Level 1
// section 3.2.2, with the fields a higher version may add after a dash
// (section 3.2.4), written out as a regular expression.
var referenceGrammar = regexp.MustCompile(`^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})((?s)-.*)?$`)

// lowerHex matches a string of lowercase hexadecimal digits.
var lowerHex = regexp.MustCompile(`^[0-9a-f]+$`)

// referenceParse is Parse written plainly from the specification: the
// grammar, then the rules it cannot state (version ff, nothing after the
// flags in version 00, no all-zero id).
func referenceParse(values []string) (Parent, bool) {
	if len(values) != 1 {
		return Parent{}, false
	}
	m := referenceGrammar.FindStringSubmatch(values[0])
	if m == nil {
		return Parent{}, false
	}
	version, traceID, spanID, flags, rest := m[1], m[2], m[3], m[4], m[5]
	if version == "ff" || version == "00" && rest != "" ||
		strings.Trim(traceID, "0") == "" || strings.Trim(spanID, "0") == "" {
		return Parent{}, false
	}
	v, _ := strconv.ParseUint(version, 16, 8)
	f, _ := strconv.ParseUint(flags, 16, 8)
	return Parent{TraceID: traceID, SpanID: spanID, Flags: byte(f), Version: byte(v)}, true
}

// checkSubstrings fails t unless the ids of p are the bytes of value at
// their offsets, shared with value rather than copied, lowercase hex and
// not all zeros.
func checkSubstrings(t *testing.T, value string, p Parent) {
	t.Helper()
	for _, f := range []struct {
		name, got  string
		start, end int
	}{{"TraceID", p.TraceID, 3, 35}, {"SpanID", p.SpanID, 36, 52}} {
		if len(value) < f.end || f.got != value[f.start:f.end] ||
			unsafe.StringData(f.got) != unsafe.StringData(value[f.start:]) {
			t.Fatalf("%s %q is not value[%d:%d] of %q", f.name, f.got, f.start, f.end, value)
		}
		if !lowerHex.MatchString(f.got) || strings.Trim(f.got, "0") == "" {
			t.Fatalf("%s %q is not lowercase hex or is all zeros", f.name, f.got)
		}
	}
}

// FuzzParse checks Parse against referenceParse, checks that the ids of a
// valid value are substrings of it, and that the value Parse reads back
// from the canonical version 00 form is the same Parent.
func FuzzParse(f *testing.F) {
	for _, tc := range validCases() {
		f.Add(tc.value)
	}
	for _, tc := range invalidCases() {
		f.Add(tc.value)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Parse([]string{s})
		want, wantOK := referenceParse([]string{s})
		if ok != wantOK {
			t.Fatalf("Parse(%q) ok = %v, reference %v", s, ok, wantOK)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Parse(%q) (-reference +got):\n%s", s, diff)
		}
		if p, ok := Parse([]string{s, s}); ok || p != (Parent{}) {
			t.Fatalf("Parse of %q twice = %+v, %v; want the zero Parent, false", s, p, ok)
		}
		if !ok {
			if got != (Parent{}) {
				t.Fatalf("Parse(%q) = %+v, false; want the zero Parent", s, got)
			}
			return
		}
		checkSubstrings(t, s, got)
		canonical := fmt.Sprintf("00-%s-%s-%02x", got.TraceID, got.SpanID, got.Flags)
		if got.Version == 0 && canonical != s {
			t.Fatalf("version 00 value %q is not its canonical form %q", s, canonical)
		}
		again, ok := Parse([]string{canonical})
		wantAgain := got
		wantAgain.Version = 0
		if !ok || again != wantAgain {
			t.Fatalf("Parse(%q) of the canonical form of %q = %+v, %v; want %+v, true", canonical, s, again, ok, wantAgain)
		}
	})
}
