package middleware_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/microkit-go/micro/middleware"
)

func ExampleContentType() {
	h := middleware.ContentType("application/json")(ok)

	for _, ct := range []string{"Application/JSON; charset=utf-8", "application/x-www-form-urlencoded"} {
		r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
		r.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// 200
	// 415
}
