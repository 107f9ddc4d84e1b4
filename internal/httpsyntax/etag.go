package httpsyntax

// Bounds on an If-Match or If-None-Match field: what a client may send
// before the whole field is treated as malformed.
const (
	// ETagListBudget is the most bytes read over all of the field's lines.
	ETagListBudget = 4 << 10
	// ETagListMax is the most entity-tags in the field.
	ETagListMax = 64
)

// CutETag parses the entity-tag (RFC 9110 section 8.8.3) at the start of
// s: an optional "W/", then a quoted opaque tag of etagc characters
// (0x21, 0x23-0x7E and obs-text). It returns whether the tag is weak, the
// opaque tag with its quotes, and the rest of s; ok is false, with the
// other results zero, when s does not start with an entity-tag.
func CutETag(s string) (weak bool, opaque, rest string, ok bool) {
	t := s
	if len(t) >= 2 && t[0] == 'W' && t[1] == '/' {
		weak, t = true, t[2:]
	}
	if len(t) < 2 || t[0] != '"' {
		return false, "", "", false
	}
	for i := 1; i < len(t); i++ {
		switch c := t[i]; {
		case c == '"':
			return weak, t[:i+1], t[i+1:], true
		case c == 0x21, c >= 0x23 && c != 0x7F:
		default:
			return false, "", "", false
		}
	}
	return false, "", "", false
}

// MatchETags evaluates an If-Match or If-None-Match field, given as its
// lines, against the current entity-tag etag (as sent in an ETag header;
// "" when there is no current representation). With weak set, it uses the
// weak comparison of RFC 9110 section 8.8.3.2 (the opaque tags are equal),
// else the strong one (both are strong and equal). "*" matches any
// current representation.
//
// valid is false, and match with it, when the field is malformed (an
// element that is not an entity-tag, a "*" beside other elements), has
// more than ETagListMax tags or is longer than ETagListBudget bytes over
// its lines; an etag that is not an entity-tag matches nothing. Empty
// list elements are skipped, as section 5.6.1 asks.
func MatchETags(lines []string, etag string, weak bool) (match, valid bool) {
	curWeak, cur, rest, curOK := CutETag(etag)
	curOK = curOK && rest == ""
	budget, tags := ETagListBudget, 0
	for i, l := range lines {
		if budget -= len(l) + 1; budget < 0 {
			return false, false
		}
		if v := TrimOWS(l); v == "*" {
			if len(lines) != 1 {
				return false, false
			}
			return etag != "", i == 0
		}
		for {
			for l != "" && (l[0] == ',' || isOWS(l[0])) {
				l = l[1:]
			}
			if l == "" {
				break
			}
			w, opaque, r, ok := CutETag(l)
			if !ok {
				return false, false
			}
			if tags++; tags > ETagListMax {
				return false, false
			}
			if curOK && opaque == cur && (weak || !w && !curWeak) {
				match = true
			}
			l = TrimOWS(r)
			if l != "" && l[0] != ',' {
				return false, false
			}
		}
	}
	return match, true
}
