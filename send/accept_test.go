package send

import (
	"strings"
	"testing"
)

// streamTLongAccept is a hostile Accept header of 100 KB: junk media ranges
// with text/event-stream only at the end, past what is read.
var streamTLongAccept = strings.Repeat("application/x-junk;q=0.5, ", 4000) + "text/event-stream"

func TestAcceptsEventStream(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   bool
	}{
		// Refused: the client gets NDJSON.
		{"no Accept header is NDJSON", nil, false},
		{"an empty Accept header is NDJSON", []string{""}, false},
		{"*/* is NDJSON", []string{"*/*"}, false},
		{"text/* is NDJSON", []string{"text/*"}, false},
		{"application/json is NDJSON", []string{"application/json"}, false},
		{"application/x-ndjson is NDJSON", []string{"application/x-ndjson"}, false},
		{"q=0 refuses event streams", []string{"text/event-stream;q=0"}, false},
		{"q=0.000 refuses event streams", []string{"text/event-stream; q=0.000"}, false},
		{"Q=0 refuses event streams whatever the case", []string{"text/event-stream; Q=0"}, false},
		{"q=0 after another parameter refuses", []string{"text/event-stream; charset=utf-8; q=0"}, false},
		{"an empty weight counts as zero", []string{"text/event-stream;q="}, false},
		{"a weight that is not a number counts as zero", []string{"text/event-stream;q=high"}, false},
		{"a weight that is too long counts as zero", []string{"text/event-stream;q=0.0001"}, false},
		{"a malformed weight starting with 0 counts as zero", []string{"text/event-stream;q=0x5"}, false},
		{"a weight of 01 is malformed: zero", []string{"text/event-stream;q=01"}, false},
		{"a weight above 1 is malformed: zero", []string{"text/event-stream;q=1.5"}, false},
		{"a weight of 10 is malformed: zero", []string{"text/event-stream;q=10"}, false},
		{"a malformed weight starting with 1 counts as zero", []string{"text/event-stream;q=1x"}, false},
		{"a weight of 1.001 is malformed: zero", []string{"text/event-stream;q=1.001"}, false},
		{"a longer type is another type", []string{"text/event-streams"}, false},
		{"a prefix of the type is another type", []string{"text/event"}, false},
		{"the subtype alone is not the type", []string{"event-stream"}, false},
		{"a type inside a parameter does not count", []string{"application/json; x=text/event-stream"}, false},
		{"text/event-stream past 4096 bytes is not read", []string{streamTLongAccept}, false},
		{"text/event-stream on a header line past 4096 bytes is not read",
			append(strings.Split(strings.Repeat("x/y ", 2000), " "), "text/event-stream"), false},
		{"an element cut at the limit is ignored",
			[]string{strings.Repeat("a", maxAccept-10) + ",text/event-stream"}, false},

		// Accepted: server-sent events.
		{"text/event-stream", []string{"text/event-stream"}, true},
		{"types compare without regard to case", []string{"Text/Event-Stream"}, true},
		{"spaces around the type", []string{"  text/event-stream  "}, true},
		{"a positive weight", []string{"text/event-stream;q=0.5"}, true},
		{"the smallest positive weight", []string{"text/event-stream;q=0.001"}, true},
		{"q=1", []string{"text/event-stream;q=1"}, true},
		{"q=1.000", []string{"text/event-stream; q=1.000"}, true},
		{"spaces around the weight", []string{"text/event-stream ; q = 0.2"}, true},
		{"another parameter first", []string{"text/event-stream; charset=utf-8; q=0.9"}, true},
		{"in a list", []string{"application/json, text/event-stream;q=0.9, */*;q=0.1"}, true},
		{"in a list without spaces", []string{"application/json,text/event-stream"}, true},
		{"on a second header line", []string{"application/json", "text/event-stream"}, true},
		{"an empty element before it", []string{",,text/event-stream"}, true},
		{"before 100 KB of junk", []string{"text/event-stream, " + streamTLongAccept}, true},
		{"within the limit after junk",
			[]string{strings.Repeat("a", maxAccept-30) + ",text/event-stream"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := acceptsEventStream(tc.values); got != tc.want {
				t.Errorf("acceptsEventStream(%.80q) = %v, want %v", tc.values, got, tc.want)
			}
		})
	}
}

// TestAcceptsEventStreamAllocatesNothing checks that negotiation allocates
// nothing, for ordinary and hostile headers alike.
func TestAcceptsEventStreamAllocatesNothing(t *testing.T) {
	for name, values := range map[string][]string{
		"browser EventSource":  {"text/event-stream"},
		"curl":                 {"*/*"},
		"100 KB header":        {streamTLongAccept},
		"10,000 header lines":  strings.Split(strings.Repeat("text/html;q=0.1,", 10000), ","),
		"100 KB of parameters": {"text/event-stream" + strings.Repeat(";a=b", 25000)},
	} {
		if n := testing.AllocsPerRun(100, func() { acceptsEventStream(values) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}

// TestAcceptsEventStreamReadsABoundedPrefix checks the work done on a hostile
// header is bounded: a 100 KB element with 25,000 parameters is cut at
// maxAccept, so the element, incomplete, is ignored.
func TestAcceptsEventStreamReadsABoundedPrefix(t *testing.T) {
	v := "text/event-stream" + strings.Repeat(";a=b", 25000)
	if acceptsEventStream([]string{v}) {
		t.Error("a 100 KB element cut at the limit was read as text/event-stream")
	}
	if !acceptsEventStream([]string{v[:maxAccept-100]}) {
		t.Error("an element under the limit with many parameters was refused")
	}
}
