package httpsyntax

import (
	"strings"
	"testing"
)

func TestCutETag(t *testing.T) {
	tests := []struct {
		in, opaque, rest string
		weak, ok         bool
	}{
		{`"xyzzy"`, `"xyzzy"`, "", false, true},
		{`W/"xyzzy", "a"`, `"xyzzy"`, `, "a"`, true, true},
		{`""`, `""`, "", false, true},
		{`"a,b"`, `"a,b"`, "", false, true}, // a comma is an etagc
		{"\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"", "", false, true},
		{`xyzzy`, "", "", false, false},
		{`"unterminated`, "", "", false, false},
		{`w/"lower-case w"`, "", "", false, false},
		{`W/xyzzy`, "", "", false, false},
		{"\"a b\"", "", "", false, false}, // a space is no etagc
		{"\"a\x7f\"", "", "", false, false},
		{`"`, "", "", false, false},
		{``, "", "", false, false},
	}
	for _, tt := range tests {
		weak, opaque, rest, ok := CutETag(tt.in)
		if weak != tt.weak || opaque != tt.opaque || rest != tt.rest || ok != tt.ok {
			t.Errorf("CutETag(%q) = %v, %q, %q, %v; want %v, %q, %q, %v",
				tt.in, weak, opaque, rest, ok, tt.weak, tt.opaque, tt.rest, tt.ok)
		}
	}
}

// TestMatchETagsComparison is the table of RFC 9110 section 8.8.3.2.
func TestMatchETagsComparison(t *testing.T) {
	tests := []struct {
		a, b         string
		strong, weak bool
	}{
		{`W/"1"`, `W/"1"`, false, true},
		{`W/"1"`, `W/"2"`, false, false},
		{`W/"1"`, `"1"`, false, true},
		{`"1"`, `"1"`, true, true},
	}
	for _, tt := range tests {
		for _, pair := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			if got, valid := MatchETags([]string{pair[0]}, pair[1], false); got != tt.strong || !valid {
				t.Errorf("strong %s vs %s = %v, %v; want %v, true", pair[0], pair[1], got, valid, tt.strong)
			}
			if got, valid := MatchETags([]string{pair[0]}, pair[1], true); got != tt.weak || !valid {
				t.Errorf("weak %s vs %s = %v, %v; want %v, true", pair[0], pair[1], got, valid, tt.weak)
			}
		}
	}
}

func TestMatchETagsLists(t *testing.T) {
	many := strings.Repeat(`"x", `, ETagListMax) + `"a"`
	tests := []struct {
		name         string
		lines        []string
		etag         string
		match, valid bool
	}{
		{"one of a list matches", []string{`"x", W/"y",  "a"`}, `"a"`, true, true},
		{"a list over lines matches", []string{`"x"`, `"a"`}, `"a"`, true, true},
		{"no tag of the list matches", []string{`"x", "y"`}, `"a"`, false, true},
		{"empty elements are skipped", []string{` , "a" ,,`}, `"a"`, true, true},
		{"a comma inside the tag is part of it", []string{`"a,b"`}, `"a,b"`, true, true},
		{"star matches an existing resource", []string{" * "}, `"a"`, true, true},
		{"star matches no missing resource", []string{"*"}, "", false, true},
		{"an empty etag matches no tag", []string{`""`}, "", false, true},
		{"a current etag that is no tag matches nothing", []string{`"a"`}, `a`, false, true},
		{"a current etag with trailing bytes matches nothing", []string{`"a"`}, `"a" x`, false, true},
		{"star beside a tag is malformed", []string{`*, "a"`}, `"a"`, false, false},
		{"star on a second line is malformed", []string{`"a"`, `*`}, `"a"`, false, false},
		{"an unquoted tag is malformed", []string{`"a", b`}, `"a"`, false, false},
		{"tags without a comma are malformed", []string{`"a" "b"`}, `"a"`, false, false},
		{"more than ETagListMax tags are malformed", []string{many}, `"a"`, false, false},
		{"more than ETagListBudget bytes are malformed", []string{`"a"`, strings.Repeat(" ", ETagListBudget)}, `"a"`, false, false},
		{"an empty field is valid and matches nothing", []string{""}, `"a"`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			match, valid := MatchETags(tt.lines, tt.etag, true)
			if match != tt.match || valid != tt.valid {
				t.Errorf("MatchETags(%q, %q) = %v, %v; want %v, %v", tt.lines, tt.etag, match, valid, tt.match, tt.valid)
			}
		})
	}
}

func TestMatchETagsAllocatesNothing(t *testing.T) {
	lines := []string{`"x", W/"y", "a"`}
	if n := testing.AllocsPerRun(100, func() { MatchETags(lines, `"a"`, true) }); n != 0 {
		t.Errorf("MatchETags allocates %v times; want 0", n)
	}
}
