package micro

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
)

// JSON reads the request body and decodes it as JSON into a T (Micro's
// json(req), typed). The body is read once, within the limit [DefaultLimit]
// describes, and kept: later calls to JSON, [Text] or [Buffer] on r decode
// the same bytes, and r.Body replays them. A body with Content-Encoding
// gzip, x-gzip or deflate is inflated and the limit counts inflated bytes;
// r then describes what r.Body replays (no Content-Encoding, the inflated
// ContentLength), so it can be forwarded as it is.
//
// Errors are all [*Error], so a route can return them as they are:
//
//   - 415: a Content-Type other than application/json or a +json type (none
//     at all is accepted), a charset other than UTF-8, or a Content-Encoding
//     other than those above and identity (with an Accept-Encoding header);
//   - 413 "Body exceeded N byte limit": a body over the limit, refused
//     unread when its Content-Length says so; 413 "Compressed body
//     exceeded" for compressed bytes over twice the limit plus 64 KiB;
//   - 400 "Invalid JSON ...": an empty or blank body (unless [AllowEmpty]
//     is given, which makes an empty body the zero T), invalid JSON,
//     trailing data, or a value of the wrong type, with the field, the
//     types and the offset;
//   - 400 "Invalid body": a body that does not decompress or cannot be read;
//     408 when it does not arrive before the server's read deadline;
//   - 422, or the status of its error: a [Validator] refused the value.
//
// When T or *T has a Validate() error method ([Validator]), JSON calls it
// on the decoded value, the zero T of [AllowEmpty] included (an empty body
// stands for {}), and returns the zero T with its error: an error with a
// status, such as [Invalid]'s 422 with its field errors, or a panic
// recovered with [Recovered], as it is; any other error as a 422 [*Error]
// whose message, sent as the problem's detail, is the error's text:
// Validate's messages are for the client. For
// a pointer T (JSON[*S]) the method of *S is called unless the value is nil
// (a null body, or an empty one with AllowEmpty). A T without the method
// costs one type assertion, no allocation.
//
// Unknown fields are ignored and a UTF-8 byte order mark is skipped; invalid
// UTF-8 inside strings becomes U+FFFD, as encoding/json decodes it. An error
// with a status from an UnmarshalJSON method of T is returned as it is, and
// so is a panic it recovered with [Recovered]: a 500, logged, never sent.
func JSON[T any](r *http.Request, opts ...BodyOption) (T, error) {
	// What the contract above leaves out: a request without a body has
	// nothing to decode, whatever its Content-Encoding; deflate is the zlib
	// format of RFC 9110, so a raw deflate stream is 400; an inflated body
	// is cut after at most the limit plus one byte, however small the
	// compressed one; bytes after a gzip member that are not another
	// member are 400; nesting deeper than encoding/json's limit is invalid
	// JSON.
	var v T
	if err := checkJSONType(r.Header.Get("Content-Type")); err != nil {
		return v, err
	}
	b, err := readBody(r, opts)
	if err != nil {
		return v, err
	}
	b = trimBOM(b)
	if len(bytes.TrimLeft(b, " \t\r\n")) == 0 {
		if err := emptyJSON(len(b), opts); err != nil {
			return v, err
		}
	} else if err := json.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, jsonError(err)
	}
	if err := validate(&v); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// emptyJSON is what [JSON] returns for a body of n bytes, all whitespace:
// nil when n is 0 and opts hold [AllowEmpty], else a 400 [*Error]. The
// options are applied only here, off the path of a body with a value.
func emptyJSON(n int, opts []BodyOption) error {
	if len(opts) == 0 || !newBodyOptions(opts).allowEmpty {
		return Errorf(http.StatusBadRequest, "Invalid JSON: the body is empty")
	}
	if n > 0 {
		return Errorf(http.StatusBadRequest, "Invalid JSON: the body is only whitespace")
	}
	return nil
}

// jsonError turns an encoding/json error into a 400 [*Error].
func jsonError(err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case statusOf(err) != 0, recoveredPanic(err): // a recovered panic stays a logged 500
		return err
	case errors.As(err, &se):
		return Errorf(http.StatusBadRequest, "Invalid JSON: %s (at byte %d)", se, se.Offset).Wrap(err)
	case errors.As(err, &te) && te.Field != "":
		return Errorf(http.StatusBadRequest, "Invalid JSON: field %q must be %s, not %s (at byte %d)",
			te.Field, jsonKind(te.Type), te.Value, te.Offset).Wrap(err)
	case errors.As(err, &te):
		return Errorf(http.StatusBadRequest, "Invalid JSON: expected %s, not %s (at byte %d)",
			jsonKind(te.Type), te.Value, te.Offset).Wrap(err)
	default: // an error from an UnmarshalJSON or UnmarshalText method
		return Errorf(http.StatusBadRequest, "Invalid JSON: %s", err).Wrap(err)
	}
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "a number in the range of " + t.Kind().String()
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}
