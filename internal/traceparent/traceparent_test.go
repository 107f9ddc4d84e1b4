package traceparent

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The trace-id and parent-id of the specification's examples (section
// 3.2.3) and of the w3c/trace-context test suite.
const (
	specTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	specSpan   = "00f067aa0ba902b7"
	suiteTrace = "12345678901234567890123456789012"
	suiteSpan  = "1234567890123456"
	suite      = "00-" + suiteTrace + "-" + suiteSpan + "-01"
)

// validCase is a single header value Parse accepts, and what it reads.
type validCase struct {
	name, value string
	want        Parent
}

// validCases returns the values Parse accepts, one rule each.
func validCases() []validCase {
	return []validCase{
		{"specification example, sampled", "00-" + specTrace + "-" + specSpan + "-01",
			Parent{TraceID: specTrace, SpanID: specSpan, Flags: 0x01}},
		{"specification example, not sampled", "00-" + specTrace + "-" + specSpan + "-00",
			Parent{TraceID: specTrace, SpanID: specSpan}},
		{"test suite value", suite,
			Parent{TraceID: suiteTrace, SpanID: suiteSpan, Flags: 0x01}},
		{"flags are a bit field: 09 is sampled", "00-" + specTrace + "-" + specSpan + "-09",
			Parent{TraceID: specTrace, SpanID: specSpan, Flags: 0x09}},
		{"flags are a bit field: 02 is not sampled", "00-" + specTrace + "-" + specSpan + "-02",
			Parent{TraceID: specTrace, SpanID: specSpan, Flags: 0x02}},
		{"all flags set", "00-" + specTrace + "-" + specSpan + "-ff",
			Parent{TraceID: specTrace, SpanID: specSpan, Flags: 0xff}},
		{"ids with a single non-zero digit", "00-00000000000000000000000000000001-1000000000000000-01",
			Parent{TraceID: "00000000000000000000000000000001", SpanID: "1000000000000000", Flags: 0x01}},
		{"every hex digit", "00-0123456789abcdef0123456789abcdef-fedcba9876543210-a5",
			Parent{TraceID: "0123456789abcdef0123456789abcdef", SpanID: "fedcba9876543210", Flags: 0xa5}},
		{"version cc of exactly 55 bytes", "cc-" + suiteTrace + "-" + suiteSpan + "-01",
			Parent{TraceID: suiteTrace, SpanID: suiteSpan, Flags: 0x01, Version: 0xcc}},
		{"version cc with fields after a dash", "cc-" + suiteTrace + "-" + suiteSpan + "-01-what-the-future-will-be-like",
			Parent{TraceID: suiteTrace, SpanID: suiteSpan, Flags: 0x01, Version: 0xcc}},
		{"version 01 with fields after a dash", "01-" + specTrace + "-" + specSpan + "-00-0123-XYZ",
			Parent{TraceID: specTrace, SpanID: specSpan, Version: 0x01}},
		{"higher version: a dash and nothing after it", "01-" + specTrace + "-" + specSpan + "-01-",
			Parent{TraceID: specTrace, SpanID: specSpan, Flags: 0x01, Version: 0x01}},
		{"higher version: bytes after the dash are not checked", "fe-" + specTrace + "-" + specSpan + "-01-\x00 ,\xff",
			Parent{TraceID: specTrace, SpanID: specSpan, Flags: 0x01, Version: 0xfe}},
	}
}

// invalidCases returns the single header values Parse refuses, one rule
// each; the names with "test suite" are the invalid traceparent values of
// the w3c/trace-context test suite (test/test.py).
func invalidCases() []struct{ name, value string } {
	return []struct{ name, value string }{
		{"empty", ""},
		{"spaces only", strings.Repeat(" ", 55)},
		{"one byte short", suite[:54]},
		// version
		{"test suite: version ff", "ff-" + suiteTrace + "-" + suiteSpan + "-01"},
		{"version ff with fields after a dash", "ff-" + suiteTrace + "-" + suiteSpan + "-01-00"},
		{"test suite: version illegal first character", ".0-" + suiteTrace + "-" + suiteSpan + "-01"},
		{"test suite: version illegal second character", "0.-" + suiteTrace + "-" + suiteSpan + "-01"},
		{"test suite: version of three digits", "000-" + suiteTrace + "-" + suiteSpan + "-01"},
		{"test suite: version of four digits", "0000-" + suiteTrace + "-" + suiteSpan + "-01"},
		{"test suite: version of one digit", "0-" + suiteTrace + "-" + suiteSpan + "-01"},
		{"version in uppercase", "CC-" + suiteTrace + "-" + suiteSpan + "-01"},
		{"version 0A in uppercase", "0A-" + suiteTrace + "-" + suiteSpan + "-01"},
		// version 00 length
		{"test suite: version 00 with a trailing byte", suite + "."},
		{"test suite: version 00 with fields after a dash", suite + "-what-the-future-will-be-like"},
		{"version 00 with a trailing dash", suite + "-"},
		// higher version length
		{"test suite: version cc with a byte other than a dash after the flags", "cc-" + suiteTrace + "-" + suiteSpan + "-01.what-the-future-will-be-like"},
		{"version cc one byte short", "cc-" + suiteTrace + "-" + suiteSpan + "-1"},
		{"version cc with three flag digits", "cc-" + suiteTrace + "-" + suiteSpan + "-011"},
		// dashes
		{"no dash after the version", "00_" + suiteTrace + "-" + suiteSpan + "-01"},
		{"no dash after the trace-id", "00-" + suiteTrace + "_" + suiteSpan + "-01"},
		{"no dash after the parent-id", "00-" + suiteTrace + "-" + suiteSpan + "_01"},
		// trace-id
		{"test suite: trace-id all zeros", "00-00000000000000000000000000000000-" + suiteSpan + "-01"},
		{"trace-id all zeros in a higher version", "cc-00000000000000000000000000000000-" + suiteSpan + "-01-x"},
		{"test suite: trace-id illegal first character", "00-.2345678901234567890123456789012-" + suiteSpan + "-01"},
		{"test suite: trace-id illegal last character", "00-1234567890123456789012345678901.-" + suiteSpan + "-01"},
		{"test suite: trace-id of 33 digits", "00-123456789012345678901234567890123-" + suiteSpan + "-01"},
		{"test suite: trace-id of 31 digits", "00-1234567890123456789012345678901-" + suiteSpan + "-01"},
		{"trace-id in uppercase", "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + specSpan + "-01"},
		{"trace-id with one uppercase digit", "00-4bf92f3577b34da6a3ce929d0e0e473F-" + specSpan + "-01"},
		{"trace-id with a letter past f", "00-4bf92f3577b34da6a3ce929d0e0e473g-" + specSpan + "-01"},
		// parent-id
		{"test suite: parent-id all zeros", "00-" + suiteTrace + "-0000000000000000-01"},
		{"parent-id all zeros in a higher version", "cc-" + suiteTrace + "-0000000000000000-01"},
		{"test suite: parent-id illegal first character", "00-" + suiteTrace + "-.234567890123456-01"},
		{"test suite: parent-id illegal last character", "00-" + suiteTrace + "-123456789012345.-01"},
		{"test suite: parent-id of 17 digits", "00-" + suiteTrace + "-12345678901234567-01"},
		{"test suite: parent-id of 15 digits", "00-" + suiteTrace + "-123456789012345-01"},
		{"parent-id in uppercase", "00-" + specTrace + "-00F067AA0BA902B7-01"},
		// flags
		{"test suite: flags illegal first character", "00-" + suiteTrace + "-" + suiteSpan + "-.0"},
		{"test suite: flags illegal second character", "00-" + suiteTrace + "-" + suiteSpan + "-0."},
		{"test suite: flags of three digits", "00-" + suiteTrace + "-" + suiteSpan + "-001"},
		{"test suite: flags of one digit", "00-" + suiteTrace + "-" + suiteSpan + "-1"},
		{"flags in uppercase", "00-" + suiteTrace + "-" + suiteSpan + "-0F"},
		// whitespace and joined values
		{"leading space", " " + suite},
		{"leading tab", "\t" + suite},
		{"trailing space", suite + " "},
		{"trailing tab", suite + "\t"},
		{"two values joined by a comma", suite + ", " + suite},
		{"two higher-version values joined by a comma", "cc-" + suiteTrace + "-" + suiteSpan + "-01,cc-" + suiteTrace + "-" + suiteSpan + "-01"},
		{"non-ASCII byte in the trace-id", "00-4bf92f3577b34da6a3ce929d0e0e473\xc3-" + specSpan + "-01"},
	}
}

func TestParseValid(t *testing.T) {
	for _, tc := range validCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Parse([]string{tc.value})
			if !ok {
				t.Fatalf("Parse(%q) is invalid, want %+v", tc.value, tc.want)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.value, diff)
			}
			checkSubstrings(t, tc.value, got)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidCases() {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := Parse([]string{tc.value}); ok || got != (Parent{}) {
				t.Errorf("Parse(%q) = %+v, %v; want the zero Parent, false", tc.value, got, ok)
			}
		})
	}
}

func TestParseValueCount(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		ok     bool
	}{
		{"no header is invalid", nil, false},
		{"an empty list is invalid", []string{}, false},
		{"one valid value is valid", []string{suite}, true},
		{"test suite: two values with different trace-ids are invalid", []string{
			"00-12345678901234567890123456789011-1234567890123456-01",
			"00-12345678901234567890123456789012-1234567890123456-01",
		}, false},
		{"the same valid value twice is invalid", []string{suite, suite}, false},
		{"a valid value and an empty one are invalid", []string{suite, ""}, false},
		{"an empty value and a valid one are invalid", []string{"", suite}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Parse(tc.values)
			if ok != tc.ok {
				t.Fatalf("Parse(%q) ok = %v, want %v", tc.values, ok, tc.ok)
			}
			if !ok && got != (Parent{}) {
				t.Errorf("Parse(%q) = %+v, want the zero Parent", tc.values, got)
			}
		})
	}
}

// TestParseThroughNetHTTP sends the test suite's header lines through
// net/http's request reader, which removes the optional whitespace around
// a value and canonicalises the name, before Parse reads
// r.Header["Traceparent"].
func TestParseThroughNetHTTP(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines string
		ok    bool
	}{
		{"test suite: leading space", "traceparent:  " + suite + "\r\n", true},
		{"test suite: leading tab", "traceparent: \t" + suite + "\r\n", true},
		{"test suite: trailing space", "traceparent: " + suite + " \r\n", true},
		{"test suite: trailing tab", "traceparent: " + suite + "\t\r\n", true},
		{"test suite: tab and space on both sides", "traceparent:\t " + suite + " \t\r\n", true},
		{"test suite: name TraceParent", "TraceParent: " + suite + "\r\n", true},
		{"test suite: name TrAcEpArEnT", "TrAcEpArEnT: " + suite + "\r\n", true},
		{"test suite: name TRACEPARENT", "TRACEPARENT: " + suite + "\r\n", true},
		{"test suite: name trace-parent is another header", "trace-parent: " + suite + "\r\n", false},
		{"test suite: two header lines", "traceparent: " + suite + "\r\nTraceparent: " + suite + "\r\n", false},
		{"two values on one line", "traceparent: " + suite + "," + suite + "\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := "GET / HTTP/1.1\r\nHost: example.com\r\n" + tc.lines + "\r\n"
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
			if err != nil {
				t.Fatalf("ReadRequest(%q): %v", raw, err)
			}
			got, ok := Parse(r.Header["Traceparent"])
			if ok != tc.ok {
				t.Fatalf("Parse(%q) ok = %v, want %v", r.Header["Traceparent"], ok, tc.ok)
			}
			if ok && got.TraceID != suiteTrace {
				t.Errorf("Parse(%q).TraceID = %q, want %q", r.Header["Traceparent"], got.TraceID, suiteTrace)
			}
		})
	}
}

func TestSampled(t *testing.T) {
	for _, tc := range []struct {
		flags byte
		want  bool
	}{{0x00, false}, {0x01, true}, {0x02, false}, {0x09, true}, {0xfe, false}, {0xff, true}} {
		if got := (Parent{Flags: tc.flags}).Sampled(); got != tc.want {
			t.Errorf("Parent{Flags: %#02x}.Sampled() = %v, want %v", tc.flags, got, tc.want)
		}
	}
	if (Parent{}).Sampled() {
		t.Error("the zero Parent is sampled")
	}
}

// TestParseLongValue checks the outcome on 1 MB values; the guard-page
// test shows that Parse reads only their first 56 bytes.
func TestParseLongValue(t *testing.T) {
	tail := strings.Repeat("x", 1<<20)
	prefix := "cc-" + specTrace + "-" + specSpan + "-01"
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"version cc with 1 MB after a dash is valid", prefix + "-" + tail, true},
		{"version cc with 1 MB after the flags and no dash is invalid", prefix + tail, false},
		{"version 00 of 1 MB is invalid", "00" + prefix[2:] + "-" + tail, false},
		{"1 MB of dashes is invalid", strings.Repeat("-", 1<<20), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Parse([]string{tc.value})
			if ok != tc.ok {
				t.Fatalf("Parse(%.60q…) ok = %v, want %v", tc.value, ok, tc.ok)
			}
			if ok {
				checkSubstrings(t, tc.value, got)
			}
		})
	}
}

// TestParseAllocations checks that Parse allocates nothing, on valid and
// invalid values alike: the ids are substrings of the value.
func TestParseAllocations(t *testing.T) {
	for _, value := range []string{
		suite,
		"cc-" + suiteTrace + "-" + suiteSpan + "-01-what-the-future-will-be-like",
		"00-00000000000000000000000000000000-" + suiteSpan + "-01",
		suite + ".",
	} {
		values := []string{value}
		var sink Parent
		if n := testing.AllocsPerRun(1000, func() { sink, _ = Parse(values) }); n != 0 {
			t.Errorf("Parse(%q): %v allocations, want 0", value, n)
		}
		_ = sink
	}
}

// BenchmarkParse measures Parse beside the regular expression of the
// reference implementation, the way many tracers read the header.
func BenchmarkParse(b *testing.B) {
	for _, in := range []struct{ name, value string }{
		{"valid", "00-" + specTrace + "-" + specSpan + "-01"},
		{"future", "cc-" + specTrace + "-" + specSpan + "-01-what-the-future-will-be-like"},
		{"invalid", "00-" + specTrace + "-0000000000000000-01"},
		{"1MB", "cc-" + specTrace + "-" + specSpan + "-01-" + strings.Repeat("x", 1<<20)},
	} {
		values := []string{in.value}
		for _, impl := range []struct {
			name  string
			parse func([]string) (Parent, bool)
		}{{"micro", Parse}, {"regexp", referenceParse}} {
			b.Run("input="+in.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					impl.parse(values)
				}
			})
		}
	}
}
