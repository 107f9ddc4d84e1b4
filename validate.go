package micro

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Validator is the method [JSON] looks for on the value it decoded: a T
// whose method set, or that of *T, has Validate is checked before JSON
// returns it. Return [Invalid] for errors of fields, any [*Error] for a
// status of your own, or a plain error for a 422 whose detail is its text.
type Validator interface {
	Validate() error
}

// FieldError is one entry of the "errors" member of a validation problem:
// what is wrong ("must not be empty") and where, as a JSON Pointer (RFC
// 6901) into the request body ("/items/0/name"; build it with [Pointer]),
// as in the example of RFC 9457 §3. Both are sent to the client as they
// are, unchecked.
type FieldError struct {
	Detail  string `json:"detail"`
	Pointer string `json:"pointer"`
}

// Invalid returns a 422 [*Error] whose problem lists fields as its
// "errors" member, in their order, each {"detail": …, "pointer": …}. Its
// message, the problem's "detail", is the fields' details joined with
// "; ", so one field error reads as its own detail; with no fields it is
// "Validation failed" and the problem has no "errors" member. fields is
// copied.
//
//	return micro.Invalid(micro.FieldError{Pointer: "/name", Detail: "name must not be empty"})
func Invalid(fields ...FieldError) *Error {
	if len(fields) == 0 {
		return &Error{status: http.StatusUnprocessableEntity, msg: "Validation failed"}
	}
	var msg strings.Builder
	for i, f := range fields {
		if i > 0 {
			msg.WriteString("; ")
		}
		msg.WriteString(f.Detail)
	}
	e := &Error{status: http.StatusUnprocessableEntity, msg: msg.String()}
	return e.With("errors", slices.Clone(fields))
}

// Pointer returns the JSON Pointer (RFC 6901) to the value reached by
// tokens from the document's root: each token is a member name (a string,
// with "~" written "~0" and "/" written "~1") or an array index (any
// integer type, written in decimal), as in Pointer("items", 0, "name") == "/items/0/name". No
// tokens is "", the whole document. A token of any other type is written as
// fmt.Sprint writes it, escaped like a string.
func Pointer(tokens ...any) string {
	var b []byte
	for _, t := range tokens {
		b = append(b, '/')
		switch t := t.(type) {
		case string:
			b = appendToken(b, t)
		case int:
			b = strconv.AppendInt(b, int64(t), 10)
		default:
			b = appendToken(b, fmt.Sprint(t))
		}
	}
	return string(b)
}

// appendToken appends the reference token s, escaped as RFC 6901 §3 asks.
func appendToken(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '~':
			b = append(b, "~0"...)
		case '/':
			b = append(b, "~1"...)
		default:
			b = append(b, s[i])
		}
	}
	return b
}

// validate calls the Validate method of *v (T's or *T's), or, when T is a
// pointer type, that of the pointer *v unless it is nil, and
// returns its error as [JSON] does: one with a status, or a panic from
// [Recovered], as it is, any other as a 422 [*Error] with its text.
func validate[T any](v *T) error {
	var err error
	if x, ok := any(v).(Validator); ok { // T's methods and *T's, without boxing a T
		err = x.Validate()
	} else if reflect.TypeFor[T]().Kind() == reflect.Pointer { // no reflection on the value
		var null T
		if x, ok := any(*v).(Validator); ok && any(*v) != any(null) { // a pointer: boxed without allocating
			err = x.Validate()
		}
	}
	if err == nil || statusOf(err) != 0 || recoveredPanic(err) {
		return err
	}
	return &Error{status: http.StatusUnprocessableEntity, msg: err.Error(), causes: []error{err}}
}

// recoveredPanic reports whether err is, or wraps, an [*Error] from
// [Recovered]: a 500 whose text is logged, never sent.
func recoveredPanic(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Stack() != nil
}
