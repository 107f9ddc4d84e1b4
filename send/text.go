package send

import (
	"io"
	"net/http"
	"strconv"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// Text writes s with the given status, Content-Type text/plain;
// charset=utf-8 (unless the header map already has a Content-Type) and
// Content-Length. An empty s sends an empty body with that status. A status
// outside 200–599 panics, as http.ResponseWriter.WriteHeader does; for 204
// and 304 the body is dropped.
func Text(w http.ResponseWriter, status int, s string) {
	writeText(w, status, s, false)
}

func writeText(w http.ResponseWriter, status int, s string, head bool) {
	if !validStatus(status) {
		panic("send: invalid status code " + strconv.Itoa(status))
	}
	if !httpsyntax.BodyAllowed(status) {
		w.WriteHeader(status)
		return
	}
	setTypeAndLength(w.Header(), valueText, len(s))
	w.WriteHeader(status)
	if !head {
		_, _ = io.WriteString(w, s) // a failed write means the client is gone
	}
}

// writeBytes is Text for raw bytes: application/octet-stream.
func writeBytes(w http.ResponseWriter, status int, b []byte, head bool) {
	if !httpsyntax.BodyAllowed(status) {
		w.WriteHeader(status)
		return
	}
	setTypeAndLength(w.Header(), valueOctets, len(b))
	w.WriteHeader(status)
	if !head {
		_, _ = w.Write(b) // a failed write means the client is gone
	}
}
