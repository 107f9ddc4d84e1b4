package send

import (
	"io"
	"net/http"
	"strconv"
	"unsafe"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// Text writes s with the given status, Content-Type text/plain;
// charset=utf-8 (unless the header map already has a Content-Type) and
// Content-Length; a HEAD request gets the headers without the body. An
// empty s sends an empty body with that status; for 204 and 304 the body
// is dropped; behind middleware.ETag, a 200 to GET or HEAD gets an ETag
// and may be a 304, as with [Value]. It returns the error from writing
// the body, if any, as [JSON] does. A status outside 200–599 panics, as
// http.ResponseWriter.WriteHeader does.
func Text(w http.ResponseWriter, r *http.Request, status int, s string) error {
	return writeText(w, r, status, s)
}

// writeText is Text; Value ignores its error, as a failed write means the
// client is gone.
func writeText(w http.ResponseWriter, r *http.Request, status int, s string) error {
	if !validStatus(status) {
		panic("send: invalid status code " + strconv.Itoa(status))
	}
	if !httpsyntax.BodyAllowed(status) {
		w.WriteHeader(status)
		return nil
	}
	if status == http.StatusOK && notModified(w, r, unsafe.Slice(unsafe.StringData(s), len(s))) {
		return nil
	}
	setTypeAndLength(w.Header(), valueText, len(s))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := io.WriteString(w, s)
	return err
}

// writeBytes is Text for raw bytes: application/octet-stream.
func writeBytes(w http.ResponseWriter, r *http.Request, status int, b []byte) {
	if !httpsyntax.BodyAllowed(status) {
		w.WriteHeader(status)
		return
	}
	if status == http.StatusOK && notModified(w, r, b) {
		return
	}
	setTypeAndLength(w.Header(), valueOctets, len(b))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b) // a failed write means the client is gone
	}
}
