package send

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// encoder is a pooled JSON encoder writing into its own buffer.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// maxPooled is the largest buffer kept for reuse; larger ones are left to
// the garbage collector so one huge response does not pin memory.
const maxPooled = 64 << 10

var encoders = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

func (e *encoder) release() {
	if e.buf.Cap() <= maxPooled {
		encoders.Put(e)
	}
}

// JSON writes v as compact JSON with the given status, Content-Type
// application/json; charset=utf-8 (unless the header map already has a
// Content-Type) and Content-Length; a HEAD request gets the headers
// without the body. HTML characters are not escaped and no trailing newline
// is written, matching Micro and JSON.stringify. Behind middleware.ETag, a
// 200 to GET or HEAD gets an ETag and may be a 304, as with [Value].
//
// v is encoded in full before anything is written: when it cannot be
// encoded (a channel, a function, NaN, a cycle, a failing MarshalJSON),
// JSON writes nothing and returns the encoding error, so the caller can
// still send an error response. Otherwise it returns the error from writing
// the body, if any, as [Text] does. A status outside 200–599 panics, as
// http.ResponseWriter.WriteHeader does.
func JSON(w http.ResponseWriter, r *http.Request, status int, v any) error {
	if !validStatus(status) {
		panic("send: invalid status code " + strconv.Itoa(status))
	}
	encErr, writeErr := writeJSON(w, r, status, v)
	return cmp.Or(encErr, writeErr)
}

// writeJSON is JSON for a valid status; it tells an encoding error, when
// nothing was written, from a write error, when the response is committed.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) (encErr, writeErr error) {
	e := encoders.Get().(*encoder)
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		e.release()
		return err, nil
	}
	if httpsyntax.BodyAllowed(status) {
		b := e.buf.Bytes()
		b = b[:len(b)-1] // json.Encoder's newline
		if status == http.StatusOK && notModified(w, r, b) {
			e.release()
			return nil, nil
		}
		setTypeAndLength(w.Header(), valueJSON, len(b))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, writeErr = w.Write(b)
		}
	} else {
		w.WriteHeader(status)
	}
	e.release() // not deferred: a Write that panics loses one pooled buffer, no more
	return nil, writeErr
}
