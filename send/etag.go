package send

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/microkit-go/micro/internal/httpsyntax"
	"github.com/microkit-go/micro/internal/response"
	"github.com/microkit-go/micro/internal/state"
)

// notModified gives a 200 to GET or HEAD, whose request asked for ETags
// (middleware.ETag), the strong ETag of body, unless the header map
// already has an ETag, which wins. When the request's If-None-Match
// matches that ETag (weak comparison; a malformed field is ignored), it
// sends a bare 304 and reports true; otherwise nothing is written.
func notModified(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	s := state.From(r.Context())
	if s == nil || !s.Data.ETag {
		return false
	}
	h := w.Header()
	var tag string
	if et := h["Etag"]; len(et) > 0 {
		tag = et[0]
	} else {
		v := s.SetETag(strongETag(body))
		h["Etag"], tag = v, v[0]
	}
	inm := r.Header["If-None-Match"]
	if len(inm) == 0 {
		return false
	}
	if match, valid := httpsyntax.MatchETags(inm, tag, true); !match || !valid {
		return false
	}
	writeNotModified(w, nil)
	return true
}

// strongETag returns the text of the strong entity-tag of body: the first
// 128 bits of its SHA-256, base64url, quoted. SHA-256 is collision resistant, so
// different bodies get different tags, and with SHA-NI it hashes faster
// than FNV-128a; a tag is the same on every server that sends body.
func strongETag(body []byte) (b [state.ETagLen]byte) {
	sum := sha256.Sum256(body)
	b[0], b[len(b)-1] = '"', '"'
	base64.RawURLEncoding.Encode(b[1:len(b)-1], sum[:16])
	return b
}

// writeNotModified sends a bare 304 with hdr merged in. It keeps the
// header fields RFC 9110 section 15.4.5 asks a 304 to repeat
// (Cache-Control, Content-Location, Date, ETag, Expires, Vary) and drops
// the body's metadata: Content-Type, Content-Length, Content-Encoding, and
// Last-Modified beside an ETag, as http.ServeContent does.
func writeNotModified(w http.ResponseWriter, hdr http.Header) {
	h := w.Header()
	response.MergeHeader(h, hdr)
	delete(h, "Content-Type")
	delete(h, "Content-Length")
	delete(h, "Content-Encoding")
	if len(h["Etag"]) > 0 {
		delete(h, "Last-Modified")
	}
	w.WriteHeader(http.StatusNotModified)
}

// notModifiedHeader reports whether err, or an error it wraps, carries
// status 304 (micro.Preconditions's answer to a conditional GET), and
// returns that error's headers.
func notModifiedHeader(err error) (http.Header, bool) {
	var sc StatusCoder
	if err == nil || !errors.As(err, &sc) || sc.StatusCode() != http.StatusNotModified {
		return nil, false
	}
	if h, ok := sc.(interface{ Header() http.Header }); ok {
		return h.Header(), true
	}
	return nil, true
}
