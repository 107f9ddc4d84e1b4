package interop_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/microkit-go/micro"
)

// structs checks struct tags. A *validator.Validate is safe for concurrent
// use; it only caches what it learnt of each type, so one serves a program.
var structs = newStructs()

// newStructs returns a validator that names fields by their json tags, so
// its errors' Namespace reads as the body does: "Order.items[1].qty".
func newStructs() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}

// checkStruct runs the tags of s and returns its failures as one 422
// problem whose "errors" member has one JSON Pointer to each failed field;
// an error other than validator.ValidationErrors (s is not a struct) is
// returned as it is.
func checkStruct(s any) error {
	var failed validator.ValidationErrors
	if err := structs.Struct(s); !errors.As(err, &failed) {
		return err
	}
	fields := make([]micro.FieldError, len(failed))
	for i, f := range failed {
		detail := f.Field() + " fails " + f.Tag()
		if f.Param() != "" {
			detail += "=" + f.Param()
		}
		fields[i] = micro.FieldError{Pointer: pointerOf(f.Namespace()), Detail: detail}
	}
	return micro.Invalid(fields...)
}

// pointerOf turns a validator Namespace, "Order.items[1].qty", into a JSON
// Pointer, "/items/1/qty": the first name is the Go type's, left out; an
// index or map key in brackets is a token of its own. A json name with a
// dot or a bracket in it cannot be told apart.
func pointerOf(namespace string) string {
	_, path, _ := strings.Cut(namespace, ".")
	var tokens []any
	for part := range strings.SplitSeq(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		tokens = append(tokens, name)
		for rest != "" {
			var key string
			key, rest, _ = strings.Cut(rest, "]")
			tokens = append(tokens, key)
			rest = strings.TrimPrefix(rest, "[")
		}
	}
	return micro.Pointer(tokens...)
}

// Order is a request body checked by its validate tags.
type Order struct {
	Email string `json:"email" validate:"required,email"`
	Items []Item `json:"items" validate:"required,min=1,dive"`
}

// Item is one line of an Order.
type Item struct {
	Name string `json:"name" validate:"required"`
	Qty  int    `json:"qty" validate:"min=1,max=99"`
}

// Validate is the adapter: micro.JSON calls it after decoding.
func (o Order) Validate() error { return checkStruct(o) }

// A route whose body is checked by go-playground/validator's struct tags:
// micro.JSON calls Order's Validate, which maps each failed tag to a
// field error with a JSON Pointer built from the json tag names.
func Example_validator() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		return micro.JSON[Order](r)
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/orders",
		strings.NewReader(`{"email":"ann@example.com","items":[{"name":"tea","qty":1},{"name":"","qty":100}]}`)))
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 422 {"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"name fails required; qty fails max=99","errors":[{"detail":"name fails required","pointer":"/items/1/name"},{"detail":"qty fails max=99","pointer":"/items/1/qty"}]}
}
