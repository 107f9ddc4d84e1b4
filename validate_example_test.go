package micro_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/microkit-go/micro"
)

// Order is a request body that checks itself: micro.JSON calls Validate.
type Order struct {
	Items []struct {
		Name string `json:"name"`
		Qty  int    `json:"qty"`
	} `json:"items"`
}

func (o Order) Validate() error {
	var errs []micro.FieldError
	for i, it := range o.Items {
		if it.Name == "" {
			errs = append(errs, micro.FieldError{Pointer: micro.Pointer("items", i, "name"), Detail: "name must not be empty"})
		}
		if it.Qty < 1 {
			errs = append(errs, micro.FieldError{Pointer: micro.Pointer("items", i, "qty"), Detail: "qty must be at least 1"})
		}
	}
	if len(errs) > 0 {
		return micro.Invalid(errs...)
	}
	return nil
}

func ExampleInvalid() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		return micro.JSON[Order](r)
	})
	r := httptest.NewRequest("POST", "/orders", strings.NewReader(`{"items":[{"name":"tea","qty":1},{"name":"","qty":0}]}`))
	show(h, r)
	// Output:
	// 422 application/problem+json
	// {"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"name must not be empty; qty must be at least 1","errors":[{"detail":"name must not be empty","pointer":"/items/1/name"},{"detail":"qty must be at least 1","pointer":"/items/1/qty"}]}
}

func ExampleError_With() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		return nil, micro.Errorf(http.StatusForbidden, "Your balance is 30, but that costs 50.").
			WithType("https://example.com/probs/out-of-credit").
			WithTitle("You do not have enough credit.").
			WithInstance("/account/12345/msgs/abc").
			With("balance", 30).
			With("accounts", []string{"/account/12345", "/account/67890"})
	})
	show(h, httptest.NewRequest("POST", "/account/12345/msgs", nil))
	// Output:
	// 403 application/problem+json
	// {"type":"https://example.com/probs/out-of-credit","title":"You do not have enough credit.","status":403,"detail":"Your balance is 30, but that costs 50.","instance":"/account/12345/msgs/abc","balance":30,"accounts":["/account/12345","/account/67890"]}
}

func ExamplePointer() {
	fmt.Printf("%q\n", micro.Pointer("items", 0, "name"))
	fmt.Printf("%q\n", micro.Pointer("a/b", "m~n"))
	fmt.Printf("%q\n", micro.Pointer())
	// Output:
	// "/items/0/name"
	// "/a~1b/m~0n"
	// ""
}
