package send

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fuzzQValue is an RFC 9110 qvalue (section 12.4.2).
var fuzzQValue = regexp.MustCompile(`^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$`)

// fuzzAcceptReference decides whether Accept lines ask for
// text/event-stream, by acceptsEventStream's doc comment: only the first
// 4096 bytes are read (each line costs its length plus one, the element
// cut at the limit is ignored); an element names text/event-stream
// (ignoring case and surrounding space), wildcards do not count; its first
// q parameter must be a qvalue above zero, a malformed one counting as
// zero; without one the weight is 1.
func fuzzAcceptReference(lines []string) bool {
	budget := maxAccept
	for _, l := range lines {
		if budget <= 0 {
			break
		}
		cut := len(l) > budget
		if cut {
			l = l[:budget]
		}
		budget -= len(l) + 1
		elems := strings.Split(l, ",")
		if cut {
			elems = elems[:len(elems)-1]
		}
		for _, e := range elems {
			params := strings.Split(e, ";")
			if !strings.EqualFold(strings.TrimSpace(params[0]), "text/event-stream") {
				continue
			}
			weight := 1.0
			for _, p := range params[1:] {
				name, v, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(name), "q") {
					v = strings.TrimSpace(v)
					weight = 0
					if fuzzQValue.MatchString(v) {
						weight, _ = strconv.ParseFloat(v, 64)
					}
					break
				}
			}
			if weight > 0 {
				return true
			}
		}
	}
	return false
}

// FuzzAcceptsEventStream checks acceptsEventStream against
// fuzzAcceptReference on fuzzed Accept lines (split at '\n', the last
// repeated rep times to pass the 4096-byte cap).
func FuzzAcceptsEventStream(f *testing.F) {
	for _, s := range []struct {
		header string
		rep    uint8
	}{
		{"text/event-stream", 0},
		{"TEXT/Event-Stream ; q=0.5", 0},
		{"text/event-stream;q=0", 0},
		{"text/event-stream;q=0.000", 0},
		{"text/event-stream;q=0.001", 0},
		{"text/event-stream;q=1.5", 0},
		{"text/event-stream;q=1x", 0},
		{"text/event-stream;q=0x5", 0},
		{"text/event-stream;charset=utf-8;q=0;q=1", 0},
		{"text/event-stream; q = 0", 0},
		{"*/*", 0},
		{"text/*;q=1", 0},
		{"application/json\ntext/event-stream", 0},
		{"application/json, ", 250},
		{"text/html, ", 255},
	} {
		f.Add(s.header, s.rep)
	}
	f.Fuzz(func(t *testing.T, header string, rep uint8) {
		lines := strings.Split(header, "\n")
		last := lines[len(lines)-1]
		for range rep {
			lines = append(lines, last)
		}
		if got, want := acceptsEventStream(lines), fuzzAcceptReference(lines); got != want {
			t.Fatalf("acceptsEventStream(%q) = %v, reference %v", lines, got, want)
		}
	})
}
