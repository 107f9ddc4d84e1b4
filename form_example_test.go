package micro_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/microkit-go/micro"
)

func ExampleForm() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		form, err := micro.Form(r)
		if err != nil {
			return nil, err // 415, 413 or 400, as a problem
		}
		return "Hello, " + form.Get("name"), nil
	})

	for _, body := range []string{"name=Ada+Lovelace", "name=%zz"} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 200 Hello, Ada Lovelace
	// 400 {"type":"about:blank","title":"Bad Request","status":400,"detail":"Invalid form: invalid URL escape \"%zz\""}
}
