package send_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/microkit-go/micro/send"
)

func print(w *httptest.ResponseRecorder) {
	fmt.Println(w.Code, w.Header().Get("Content-Type"), w.Header().Get("Content-Length"))
	fmt.Println(w.Body.String())
}

func ExampleValue() {
	for _, v := range []any{
		map[string]int{"likes": 3},
		"plain text",
		[]byte("raw bytes"),
		strings.NewReader("a stream"),
	} {
		w := httptest.NewRecorder()
		send.Value(w, httptest.NewRequest("GET", "/", nil), http.StatusOK, v)
		print(w)
	}
	// Output:
	// 200 application/json; charset=utf-8 11
	// {"likes":3}
	// 200 text/plain; charset=utf-8 10
	// plain text
	// 200 application/octet-stream 9
	// raw bytes
	// 200 application/octet-stream 8
	// a stream
}

type notFound struct{ id string }

func (e notFound) Error() string   { return "no comment " + e.id }
func (e notFound) StatusCode() int { return http.StatusNotFound }

func ExampleError() {
	// Any error type with a StatusCode method is public.
	w := httptest.NewRecorder()
	send.Error(w, httptest.NewRequest("GET", "/api/comments/7", nil), notFound{"7"})
	print(w)

	// Any other error is a 500 whose text is logged, never sent.
	w = httptest.NewRecorder()
	send.Error(w, httptest.NewRequest("GET", "/", nil), errors.New("connection to 10.0.0.3 refused"))
	print(w)
	// Output:
	// 404 application/problem+json 79
	// {"type":"about:blank","title":"Not Found","status":404,"detail":"no comment 7"}
	// 500 application/problem+json 67
	// {"type":"about:blank","title":"Internal Server Error","status":500}
}

func ExampleJSON() {
	health := func(w http.ResponseWriter, r *http.Request) {
		if err := send.JSON(w, r, http.StatusOK, map[string]string{"status": "ok"}); err != nil {
			send.Error(w, r, err)
		}
	}
	w := httptest.NewRecorder()
	health(w, httptest.NewRequest("GET", "/health", nil))
	print(w)
	// Output:
	// 200 application/json; charset=utf-8 15
	// {"status":"ok"}
}
