package micro

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
)

// JSON reads the request body and decodes it as JSON into a T (Micro's
// json(req), typed). The body is read once and kept: later calls to JSON,
// [Text] or [Buffer] on the same request decode the same bytes, and r.Body
// is replaced by a reader that replays them (inflated, when the body was
// compressed) to code that reads it later. Once a compressed body is
// inflated, r describes what r.Body replays, as http.Transport leaves a
// response it inflated: r.Header becomes a copy without Content-Encoding
// and Content-Length, and r.ContentLength is the inflated length, so r
// can be forwarded as it is.
//
// Errors are all [*Error], so a route can return them as they are:
//
//   - a Content-Type other than application/json or a +json type
//     (parameters and case ignored; none at all is accepted), or a charset
//     other than UTF-8, is 415, with a detail naming what was expected and
//     what came;
//   - a body over the limit (see [DefaultLimit]) is 413; a plain body
//     whose declared Content-Length is over it is refused before any byte
//     is read;
//   - a body with Content-Encoding gzip, x-gzip or deflate (case ignored)
//     is inflated, and the limit applies to the inflated bytes: more is 413
//     however small the compressed body, after at most the limit plus one
//     inflated byte. deflate is the zlib format of RFC 9110 (a raw deflate
//     stream is 400). Data that does not decompress (bad header, corrupt,
//     bad checksum, truncated, or followed by bytes that are not another
//     gzip member) is 400 "Invalid body". The compressed bytes
//     are bounded too, at twice the limit plus 64 KiB: more, declared or
//     read, is 413 "Compressed body exceeded". identity or no
//     Content-Encoding is plain; any other coding, or more than one, is 415
//     naming the supported ones, with an Accept-Encoding header (a request
//     without a body has nothing to decode, whatever its Content-Encoding);
//   - an empty body, invalid JSON and trailing data after the value are 400
//     with a detail that starts "Invalid JSON" and gives the byte offset; a
//     value of the wrong type names the field and both types;
//   - a body that cannot be read (client abort, a body shorter than its
//     Content-Length) is 400 "Invalid body"; one that does not arrive before
//     the server's read deadline is 408.
//
// Unknown fields are ignored, as by encoding/json. A UTF-8 byte order mark is
// skipped. Invalid UTF-8 and unpaired surrogate escapes inside strings become
// U+FFFD, as encoding/json decodes them (unlike [Text], which refuses a body
// that is not UTF-8). Nesting deeper than encoding/json's limit is invalid JSON. When
// an UnmarshalJSON method of T returns an error with a status, that error is
// returned as it is.
func JSON[T any](r *http.Request, opts ...BodyOption) (T, error) {
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
		return v, Errorf(http.StatusBadRequest, "Invalid JSON: the body is empty")
	}
	if err := json.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, jsonError(err)
	}
	return v, nil
}

// jsonError turns an encoding/json error into a 400 [*Error].
func jsonError(err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case statusOf(err) != 0:
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
