package micro_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

// show sends r to h and prints the status, the Content-Type and the body.
func show(h http.Handler, r *http.Request) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	if w.Body.Len() > 0 {
		fmt.Println(w.Body.String())
	}
}

type Comment struct {
	Comment string `json:"comment"`
}

func ExampleHandler() {
	comments := []Comment{{"First"}, {"Nice post"}}

	mux := http.NewServeMux()
	mux.Handle("GET /api/comments", micro.Handler(func(r *http.Request) (any, error) {
		return comments, nil
	}))
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(r *http.Request) (any, error) {
		return map[string]any{"post": r.PathValue("id"), "comments": comments}, nil
	}))

	show(mux, httptest.NewRequest("GET", "/api/comments", nil))
	show(mux, httptest.NewRequest("GET", "/api/comments/42", nil))
	// Output:
	// 200 application/json; charset=utf-8
	// [{"comment":"First"},{"comment":"Nice post"}]
	// 200 application/json; charset=utf-8
	// {"comments":[{"comment":"First"},{"comment":"Nice post"}],"post":"42"}
}

func ExampleHandler_errors() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		if r.URL.Query().Get("id") == "" {
			return nil, micro.Errorf(http.StatusBadRequest, "id is required")
		}
		// An error without a status is a 500; its text is logged, not sent.
		return nil, io.ErrUnexpectedEOF
	})
	show(h, httptest.NewRequest("GET", "/", nil))
	show(h, httptest.NewRequest("GET", "/?id=1", nil))
	// Output:
	// 400 application/problem+json
	// {"type":"about:blank","title":"Bad Request","status":400,"detail":"id is required"}
	// 500 application/problem+json
	// {"type":"about:blank","title":"Internal Server Error","status":500}
}

func ExampleResponse() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		return &micro.Response{
			Status: http.StatusCreated,
			Header: http.Header{"Location": {"/api/comments/3"}},
			Body:   Comment{"Hello"},
		}, nil
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/api/comments", nil))
	fmt.Println(w.Code, w.Header().Get("Location"), w.Body)
	// Output:
	// 201 /api/comments/3 {"comment":"Hello"}
}

func ExampleErrorf() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		return nil, micro.Errorf(http.StatusTooManyRequests, "slow down: %d requests a minute", 60).
			WithHeader("Retry-After", "30")
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Code, "Retry-After:", w.Header().Get("Retry-After"))
	fmt.Println(w.Body)
	// Output:
	// 429 Retry-After: 30
	// {"type":"about:blank","title":"Too Many Requests","status":429,"detail":"slow down: 60 requests a minute"}
}

func ExampleRecovered() {
	errCorrupt := errors.New("corrupt image")
	resize := func(done chan<- error) {
		defer func() {
			if p := recover(); p != nil {
				done <- micro.Recovered(p) // here, so the stack is this goroutine's
			}
		}()
		panic(errCorrupt) // a bug deep in a library
	}
	h := micro.Handler(func(r *http.Request) (any, error) {
		done := make(chan error, 1)
		go resize(done) // Handler cannot recover a panic in another goroutine
		if err := <-done; err != nil {
			fmt.Println("errors.Is(err, errCorrupt):", errors.Is(err, errCorrupt))
			return nil, err
		}
		return "resized", nil
	})

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{} // keep the output stable
			case "stack":
				return slog.String("stack", "...")
			}
			return a
		},
	}))
	mux := http.NewServeMux()
	mux.Handle("POST /resize", h)
	show(middleware.ErrorLogger(logger)(mux), httptest.NewRequest("POST", "/resize", nil))
	// Output:
	// errors.Is(err, errCorrupt): true
	// level=ERROR msg="unhandled error" method=POST path=/resize route="POST /resize" status=500 error="panic: corrupt image" stack=...
	// 500 application/problem+json
	// {"type":"about:blank","title":"Internal Server Error","status":500}
}

func ExampleJSON() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		c, err := micro.JSON[Comment](r, micro.Limit(4<<10))
		if err != nil {
			return nil, err // 400, 413 or 415, as a problem
		}
		return &micro.Response{Status: http.StatusCreated, Body: c}, nil
	})
	post := func(ctype, body string) *http.Request {
		r := httptest.NewRequest("POST", "/api/comments", strings.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		return r
	}
	show(h, post("application/json", `{"comment":"Hi"}`))
	show(h, post("application/json", `{"comment":`))
	show(h, post("text/plain", `Hi`))
	// Output:
	// 201 application/json; charset=utf-8
	// {"comment":"Hi"}
	// 400 application/problem+json
	// {"type":"about:blank","title":"Bad Request","status":400,"detail":"Invalid JSON: unexpected end of JSON input (at byte 11)"}
	// 415 application/problem+json
	// {"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"Unsupported Content-Type \"text/plain\": expected application/json or a +json type"}
}

// A gzip body is inflated before it is decoded, the limit counting the
// inflated bytes; a coding the helpers do not know is 415, with the ones
// they do in Accept-Encoding.
func ExampleJSON_contentEncoding() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		return micro.JSON[Comment](r, micro.Limit(64))
	})
	gzipped := func(s string) *bytes.Buffer {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return &b
	}
	for _, tc := range []struct{ coding, body string }{
		{"gzip", `{"comment":"sent gzipped"}`},
		{"gzip", `{"comment":"` + strings.Repeat("a", 100) + `"}`}, // 41 bytes gzipped
		{"br", `{"comment":"sent in brotli"}`},
	} {
		r := httptest.NewRequest("POST", "/api/comments", gzipped(tc.body))
		r.Header.Set("Content-Encoding", tc.coding)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Accept-Encoding"), w.Body)
	}
	// Output:
	// 200  {"comment":"sent gzipped"}
	// 413  {"type":"about:blank","title":"Request Entity Too Large","status":413,"detail":"Body exceeded 64 byte limit"}
	// 415 gzip, deflate {"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"Unsupported Content-Encoding \"br\": expected one of gzip, x-gzip, deflate or identity"}
}

func ExampleText() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		s, err := micro.Text(r)
		if err != nil {
			return nil, err
		}
		return strings.ToUpper(s), nil
	})
	show(h, httptest.NewRequest("POST", "/", strings.NewReader("shout")))
	// Output:
	// 200 text/plain; charset=utf-8
	// SHOUT
}

func ExampleMethods() {
	h := micro.Methods{
		http.MethodGet: micro.Handler(func(r *http.Request) (any, error) { return []Comment{}, nil }),
		http.MethodPost: micro.Handler(func(r *http.Request) (any, error) {
			return &micro.Response{Status: http.StatusCreated}, nil
		}),
	}
	for _, method := range []string{"GET", "POST", "OPTIONS", "DELETE"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/api/comments", nil))
		fmt.Println(strings.TrimSpace(fmt.Sprintln(method, w.Code, w.Header().Get("Allow"))))
	}
	// Output:
	// GET 200
	// POST 201
	// OPTIONS 204 GET, HEAD, OPTIONS, POST
	// DELETE 405 GET, HEAD, OPTIONS, POST
}
