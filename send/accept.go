package send

import "strings"

// maxAccept is how much of the Accept header acceptsEventStream reads.
// Browsers send under 300 bytes; a longer header is read up to here, and
// an element cut at the limit is ignored.
const maxAccept = 4096

// acceptsEventStream reports whether the Accept header values list
// text/event-stream with a weight above zero. Media types compare without
// regard to case; wildcards (*/*, text/*) do not count: a client that does
// not ask for event streams by name gets NDJSON. It reads at most maxAccept
// bytes and allocates nothing.
func acceptsEventStream(values []string) bool {
	budget := maxAccept
	for _, v := range values {
		if budget <= 0 {
			return false
		}
		cut := len(v) > budget
		if cut {
			v = v[:budget]
		}
		budget -= len(v) + 1
		for v != "" {
			var elem string
			i := strings.IndexByte(v, ',')
			if i < 0 {
				if cut {
					break // possibly truncated
				}
				elem, v = v, ""
			} else {
				elem, v = v[:i], v[i+1:]
			}
			if mediaRangeIsEventStream(elem) {
				return true
			}
		}
	}
	return false
}

// mediaRangeIsEventStream reports whether one Accept element is
// text/event-stream with a weight above zero.
func mediaRangeIsEventStream(elem string) bool {
	typ, params, _ := strings.Cut(elem, ";")
	if !strings.EqualFold(strings.TrimSpace(typ), "text/event-stream") {
		return false
	}
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(name), "q") {
			return weightAboveZero(strings.TrimSpace(value))
		}
	}
	return true
}

// weightAboveZero reports whether an RFC 9110 qvalue is above zero; a
// malformed one counts as zero, so the element is ignored.
func weightAboveZero(q string) bool {
	if q == "" || len(q) > 5 {
		return false
	}
	switch q[0] {
	case '1': // "1" [ "." 0*3("0") ]
		if len(q) > 1 && q[1] != '.' {
			return false
		}
		for i := 2; i < len(q); i++ {
			if q[i] != '0' {
				return false
			}
		}
		return true
	case '0': // "0" [ "." 0*3DIGIT ]
		if len(q) == 1 || q[1] != '.' {
			return false
		}
		above := false
		for i := 2; i < len(q); i++ {
			c := q[i]
			if c < '0' || c > '9' {
				return false
			}
			above = above || c != '0'
		}
		return above
	}
	return false
}
