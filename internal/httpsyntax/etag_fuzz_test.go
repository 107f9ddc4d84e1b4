package httpsyntax

import (
	"strings"
	"testing"
)

// fuzzETagc reports whether every byte of s is an etagc.
func fuzzETagc(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != 0x21 && (c < 0x23 || c == 0x7F) {
			return false
		}
	}
	return true
}

// fuzzOnly reports whether s holds only bytes of set.
func fuzzOnly(s, set string) bool {
	return strings.Trim(s, set) == ""
}

// fuzzTags is a reference for the entity-tags of one field line, written
// another way than MatchETags: since no etagc is a quote, a valid line cut
// at its quotes alternates between what lies outside the tags (separators
// and "W/") and the opaque tags themselves. ok is false when the line is
// malformed.
func fuzzTags(line string) (tags []string, ok bool) {
	parts := strings.Split(line, `"`)
	if len(parts)%2 == 0 {
		return nil, false // an unbalanced quote
	}
	for i, p := range parts {
		if i%2 == 1 {
			if !fuzzETagc(p) {
				return nil, false
			}
			weak := strings.HasSuffix(parts[i-1], "W/")
			tags = append(tags, map[bool]string{true: "W/", false: ""}[weak]+`"`+p+`"`)
			continue
		}
		sep, last := strings.TrimSuffix(p, "W/"), i == len(parts)-1
		switch {
		case last && (sep != p || !fuzzOnly(p, " \t,")):
			return nil, false
		case !fuzzOnly(sep, " \t,"):
			return nil, false
		case i > 0 && !last && !strings.Contains(sep, ","):
			return nil, false // two tags need a comma between them
		}
	}
	return tags, true
}

// fuzzMatch is the reference for MatchETags.
func fuzzMatch(lines []string, etag string, weak bool) (match, valid bool) {
	total := 0
	for _, l := range lines {
		total += len(l) + 1
	}
	if total > ETagListBudget {
		return false, false
	}
	if len(lines) == 1 && strings.Trim(lines[0], " \t") == "*" {
		return etag != "", true
	}
	cur, curOK := fuzzTags(etag)
	curOK = curOK && len(cur) == 1 && cur[0] == etag
	var all []string
	for _, l := range lines {
		tags, ok := fuzzTags(l)
		if !ok {
			return false, false
		}
		all = append(all, tags...)
	}
	if len(all) > ETagListMax {
		return false, false
	}
	for _, t := range all {
		if !curOK {
			break
		}
		if weak && strings.TrimPrefix(t, "W/") == strings.TrimPrefix(etag, "W/") || !weak && t == etag && t[0] == '"' {
			match = true
		}
	}
	return match, true
}

// FuzzMatchETags checks MatchETags, with both comparisons, against
// fuzzMatch on fuzzed field lines (split at '\n', the last repeated rep
// times to pass the limits).
func FuzzMatchETags(f *testing.F) {
	for _, s := range []struct {
		header, etag string
		rep          uint8
	}{
		{`"a", W/"b"`, `"a"`, 0},
		{`W/"b"`, `"b"`, 0},
		{`W/"b"`, `W/"b"`, 0},
		{"*", `"a"`, 0},
		{"*", "", 0},
		{" , ,\"a,b\" ,", `"a,b"`, 0},
		{`"a""b"`, `"a"`, 0},
		{`"a" W/"b"`, `"b"`, 0},
		{"\"a\"\n\"b\"", `"b"`, 0},
		{"\"x\", ", `"x"`, 70},
		{`"a"`, `W/"a"x`, 0},
		{"\"caf\xe9\"", "\"caf\xe9\"", 0},
		{"*, \"a\"", `"a"`, 0},
	} {
		f.Add(s.header, s.etag, s.rep)
	}
	f.Fuzz(func(t *testing.T, header, etag string, rep uint8) {
		lines := strings.Split(header, "\n")
		last := lines[len(lines)-1]
		for range rep {
			lines = append(lines, last)
		}
		for _, weak := range []bool{false, true} {
			m, v := MatchETags(lines, etag, weak)
			rm, rv := fuzzMatch(lines, etag, weak)
			if m != rm || v != rv {
				t.Fatalf("MatchETags(%q, %q, weak %v) = %v, %v; reference %v, %v", lines, etag, weak, m, v, rm, rv)
			}
		}
	})
}
