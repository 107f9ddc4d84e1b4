// Package send writes responses: the writers underneath micro.Handler
// (Micro's send and sendError), usable from any plain http.HandlerFunc.
//
// [Value] picks the representation from the Go type of the value, [JSON] and
// [Text] write one representation, and [Error] writes an RFC 9457 problem
// without ever putting an unclassified error's text in the body.
package send

import (
	"fmt"
	"io"
	"net/http"
	"reflect"
)

// Value writes v with the given status, choosing the representation from
// v's type (Micro's send(res, code, data)):
//
//   - nil: the status and an empty body.
//   - *[Stream]: its items, as server-sent events or NDJSON, each sent as
//     it is produced, with the status.
//   - http.Handler (including *micro.Response): served as is; it writes the
//     whole response itself and status is not used.
//   - error: as [Error]; status is not used.
//   - string: text/plain; charset=utf-8 with Content-Length; "" is an empty
//     body with the status.
//   - []byte: application/octet-stream with Content-Length.
//   - io.Reader: application/octet-stream, streamed, and closed afterwards if
//     it is an io.Closer. Content-Length is set when the size is known
//     (a Len() int method, or a regular *os.File). A read error before the
//     first byte is a 500 problem; after it, the status is already sent, so
//     the error is logged and the connection aborted with
//     http.ErrAbortHandler.
//   - anything else: compact JSON, as [JSON]. A value that cannot be encoded
//     is a 500 problem and nothing partial is written.
//
// Behind middleware.ETag, a 200 to GET or HEAD of a string, []byte or JSON
// value gets a strong ETag, unless the header map has one, and a matching
// If-None-Match makes it a bare 304.
//
// A Content-Type already in the header map always wins. HEAD responses carry
// the same headers and no body. For 204 and 304 the body is dropped. A
// status outside 200–599 is a programming error: it is logged and answered
// with a 500 problem.
func Value(w http.ResponseWriter, r *http.Request, status int, v any) {
	ok, head := validStatus(status), r.Method == http.MethodHead
	// One type switch: the runtime caches which case a type takes, so the
	// common JSON value pays for one lookup, not one per interface case.
	switch v := v.(type) {
	case *Stream: // before http.Handler, which it also is: it takes the status
		if ok {
			writeStream(w, r, status, v)
		} else {
			invalidStatus(w, r, status)
		}
	case http.Handler:
		v.ServeHTTP(w, r)
	case error:
		Error(w, r, v)
	case nil:
		if ok {
			w.WriteHeader(status)
		} else {
			invalidStatus(w, r, status)
		}
	case string:
		if ok {
			_ = writeText(w, r, status, v) // a failed write means the client is gone
		} else {
			invalidStatus(w, r, status)
		}
	case []byte:
		if ok {
			writeBytes(w, r, status, v)
		} else {
			invalidStatus(w, r, status)
		}
	case io.Reader:
		if ok {
			writeReader(w, r, status, v, head)
		} else {
			if c, isCloser := v.(io.Closer); isCloser {
				c.Close()
			}
			invalidStatus(w, r, status)
		}
	default:
		if !ok {
			invalidStatus(w, r, status)
			return
		}
		// A write error means the client is gone; only an encoding error,
		// when nothing was written yet, can still become a problem.
		if err, _ := writeJSON(w, r, status, v); err != nil {
			Error(w, r, fmt.Errorf("send: encoding %T as JSON: %w%s", v, err, streamHint(v)))
		}
	}
}

func invalidStatus(w http.ResponseWriter, r *http.Request, status int) {
	Error(w, r, fmt.Errorf("send: invalid status code %d", status))
}

// streamHint is a hint for the log when v is an iterator or a channel,
// which a route must wrap to stream.
func streamHint(v any) string {
	switch reflect.TypeOf(v).Kind() {
	case reflect.Func:
		return " (to stream an iterator, return micro.Stream(seq) or micro.Stream2(seq))"
	case reflect.Chan:
		return " (to stream a channel, return micro.StreamChan(ch))"
	}
	return ""
}
