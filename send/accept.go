package send

import (
	"strings"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

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
	for elem := range httpsyntax.Elements(values, maxAccept) {
		if mediaRangeIsEventStream(elem) {
			return true
		}
	}
	return false
}

// mediaRangeIsEventStream reports whether one Accept element is
// text/event-stream with a weight above zero; the first q parameter is
// the weight, and a malformed one counts as zero.
func mediaRangeIsEventStream(elem string) bool {
	typ, params := httpsyntax.CutMediaType(elem)
	if !strings.EqualFold(typ, "text/event-stream") {
		return false
	}
	for params != "" {
		var p string
		p, params, _ = httpsyntax.CutByte(params, ';')
		name, value, _ := httpsyntax.CutByte(p, '=')
		if strings.EqualFold(httpsyntax.TrimOWS(name), "q") {
			q, ok := httpsyntax.ParseQ(httpsyntax.TrimOWS(value))
			return ok && q > 0
		}
	}
	return true
}
