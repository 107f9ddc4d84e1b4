package micro

import (
	"net/http"
	"time"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// maxDateLen bounds an If-Unmodified-Since or If-Modified-Since value: an
// HTTP date is 29 bytes, its obsolete forms at most 33.
const maxDateLen = 64

// Preconditions evaluates the request's conditional headers against the
// current state of the resource, in the order of RFC 9110 section 13.2.2,
// before the route acts: etag is its current ETag as the route sends it
// (`"v1"` or `W/"v1"`; "" when the resource does not exist), modTime its
// last modification (the zero Time when unknown). It returns nil when the
// route should go on, else an [*Error] to return as it is:
//
//   - If-Match does not match etag (strong comparison; "*" matches any
//     existing resource), or, without If-Match, the resource was modified
//     after If-Unmodified-Since: 412 Precondition Failed, the lost update
//     refused before it happens.
//   - If-None-Match matches etag (weak comparison; "*" matches any existing
//     resource): on GET and HEAD a 304 Not Modified, which [send.Error]
//     sends bare, with the ETag (or, without an etag, Last-Modified); on
//     any other method a 412.
//   - Without If-None-Match, on GET and HEAD, the resource was not modified
//     after If-Modified-Since: a 304.
//
// Times are compared to the second, as HTTP dates carry. A malformed or
// oversized If-Match (over 64 tags or 4 KiB) fails, so a write is never
// let through on a header nobody could evaluate; a malformed If-None-Match
// is ignored, as is a date that http.ParseTime rejects, one over 64 bytes,
// a date header sent on more than one line (a list of dates, which RFC
// 9110 sections 13.1.3 and 13.1.4 ask to ignore), and any date condition
// when modTime is zero. Preconditions does not answer 428 Precondition
// Required: a route that insists on If-Match checks for the header itself.
func Preconditions(r *http.Request, etag string, modTime time.Time) error {
	h := r.Header
	modTime = modTime.Truncate(time.Second)
	if im := h["If-Match"]; len(im) > 0 {
		if match, _ := httpsyntax.MatchETags(im, etag, false); !match {
			return Errorf(http.StatusPreconditionFailed, "If-Match does not match the current ETag")
		}
	} else if since, ok := headerTime(h["If-Unmodified-Since"], modTime); ok && modTime.After(since) {
		return Errorf(http.StatusPreconditionFailed, "Modified since the If-Unmodified-Since date")
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if inm := h["If-None-Match"]; len(inm) > 0 {
		match, valid := httpsyntax.MatchETags(inm, etag, true)
		switch {
		case match && get:
			return notModified(etag, modTime)
		case match:
			return Errorf(http.StatusPreconditionFailed, "If-None-Match matches the current ETag")
		case valid:
			return nil
		}
	}
	if since, ok := headerTime(h["If-Modified-Since"], modTime); ok && get && !modTime.After(since) {
		return notModified(etag, modTime)
	}
	return nil
}

// headerTime parses a date header; ok is false when it is missing, on
// more than one line, too long or no HTTP date, or when modTime is zero.
func headerTime(lines []string, modTime time.Time) (t time.Time, ok bool) {
	if len(lines) != 1 || len(lines[0]) > maxDateLen || modTime.IsZero() {
		return time.Time{}, false
	}
	t, err := http.ParseTime(lines[0])
	return t, err == nil
}

// notModified is the 304 of a conditional GET, with the validator the
// client's copy is to keep.
func notModified(etag string, modTime time.Time) *Error {
	e := Errorf(http.StatusNotModified, "Not Modified")
	switch {
	case etag != "":
		e.WithHeader("Etag", etag)
	case !modTime.IsZero():
		e.WithHeader("Last-Modified", modTime.UTC().Format(http.TimeFormat))
	}
	return e
}
