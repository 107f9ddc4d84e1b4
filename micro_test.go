package micro_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/send"
)

// jsonBody is the body of Micro's tests: {"some":{"cool":"json"}}.
const jsonBody = `{"some":{"cool":"json"}}`

type someCool struct {
	Some struct {
		Cool string `json:"cool"`
	} `json:"some"`
}

// htmlHeader is the header the Content-Type preservation tests set.
func htmlHeader() http.Header { return http.Header{"Content-Type": {"text/html"}} }

// TestMicroSuite ports every applicable case of Micro v10's own test suite
// (test/suite/index.ts; shared/reference/micro.md §6.1), numbered as there.
// Where this library deliberately differs from Micro (text/plain on strings,
// problem+json errors, a strict JSON Content-Type), the case asserts our
// documented behaviour and says so.
func TestMicroSuite(t *testing.T) {
	tests := []struct {
		name    string
		handler http.Handler
		req     req
		want    resp
	}{
		{
			name: "#1 send(200, string) writes the string with its length (text/plain: a deliberate deviation)",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				send.Value(w, r, 200, "woot")
			}),
			want: resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "woot"},
		},
		{
			name: "#2 send(200, object) is compact JSON",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				send.Value(w, r, 200, map[string]string{"a": "b"})
			}),
			want: resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: `{"a":"b"}`},
		},
		{
			name: "#3 send(200, number) is JSON",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				send.Value(w, r, 200, 4)
			}),
			want: resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: "4"},
		},
		{
			name: "#4 send(200, bytes) is an octet stream with its length",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				send.Value(w, r, 200, []byte("muscle"))
			}),
			want: resp{Status: 200, ContentType: "application/octet-stream", Body: "muscle"},
		},
		{
			name: "#5 send(200, stream) streams a reader (net/http adds the length of a short body)",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				send.Value(w, r, 200, io.MultiReader(strings.NewReader("water"), strings.NewReader("fall")))
			}),
			want: resp{Status: 200, ContentType: "application/octet-stream", Body: "waterfall"},
		},
		{
			name: "#6 send(404) with no data is the status and an empty body",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				send.Value(w, r, 404, nil)
			}),
			want: resp{Status: 404},
		},
		{
			name:    "#7 return string",
			handler: micro.Handler(func(*http.Request) (any, error) { return "woot", nil }),
			want:    resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "woot"},
		},
		{
			name: "#8 a slow handler's value is sent when it returns",
			handler: micro.Handler(func(*http.Request) (any, error) {
				time.Sleep(100 * time.Millisecond)
				return "I Promise", nil
			}),
			want: resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "I Promise"},
		},
		{
			name:    "#9 sync return string",
			handler: micro.Handler(func(*http.Request) (any, error) { return "argon", nil }),
			want:    resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "argon"},
		},
		{
			name:    "#10 an empty string is 200 with an empty body, not 204",
			handler: micro.Handler(func(*http.Request) (any, error) { return "", nil }),
			want:    resp{Status: 200, ContentType: "text/plain; charset=utf-8"},
		},
		{
			name:    "#11 return object",
			handler: micro.Handler(func(*http.Request) (any, error) { return map[string]string{"a": "b"}, nil }),
			want:    resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: `{"a":"b"}`},
		},
		{
			name:    "#12 return number",
			handler: micro.Handler(func(*http.Request) (any, error) { return 4, nil }),
			want:    resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: "4"},
		},
		{
			name:    "#13 return bytes",
			handler: micro.Handler(func(*http.Request) (any, error) { return []byte("Hammer"), nil }),
			want:    resp{Status: 200, ContentType: "application/octet-stream", Body: "Hammer"},
		},
		{
			name: "#14 return stream",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return io.MultiReader(strings.NewReader("River")), nil
			}),
			want: resp{Status: 200, ContentType: "application/octet-stream", Body: "River"},
		},
		{
			name:    "#15 return nil is 204 with an empty body",
			handler: micro.Handler(func(*http.Request) (any, error) { return nil, nil }),
			want:    resp{Status: 204, ContentLength: "-"},
		},
		{
			name: "#17 an error with a status is sent with that status and its message",
			handler: micro.Handler(func(*http.Request) (any, error) {
				time.Sleep(100 * time.Millisecond)
				return nil, micro.Errorf(402, "Error from test (expected)")
			}),
			want: problemResp(402, "Payment Required", "Error from test (expected)"),
		},
		{
			name: "#18 a plain error is 500 and its text is not sent",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return nil, errors.New("db password is hunter2")
			}),
			want: problemResp(500, "Internal Server Error", ""),
		},
		{
			name: "#19 a panic is 500 like a returned error, its value not sent",
			handler: micro.Handler(func(*http.Request) (any, error) {
				panic("db password is hunter2")
			}),
			want: problemResp(500, "Internal Server Error", ""),
		},
		{
			name: "#20 a stream that fails before its first byte is 500",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return iotest.ErrReader(errors.New("disk on fire")), nil
			}),
			want: problemResp(500, "Internal Server Error", ""),
		},
		{
			name: "#21 a wrapper can turn the inner handler's error into a value",
			handler: handleErrors(func(*http.Request) (any, error) {
				time.Sleep(50 * time.Millisecond)
				return nil, errors.New("thrown")
			}),
			want: resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "My custom error!"},
		},
		{
			name: "#22 a wrapper can turn an inner panic into a value too",
			handler: handleErrors(func(*http.Request) (any, error) {
				panic("thrown")
			}),
			want: resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "My custom error!"},
		},
		{
			name: "#23 invalid JSON is 400",
			handler: micro.Handler(func(r *http.Request) (any, error) {
				return micro.JSON[map[string]any](r)
			}),
			req:  req{method: "POST", body: `{ "bad json" }`, ctype: "application/json"},
			want: problemResp(400, "Bad Request", "Invalid JSON: invalid character '}' after object key (at byte 14)"),
		},
		{
			name:    "#24 json decodes the body",
			handler: micro.Handler(respondCool()),
			req:     req{method: "POST", body: jsonBody, ctype: "application/json"},
			want:    resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: `{"response":"json"}`},
		},
		{
			name:    "#24 json with text/plain is 415 (a deliberate deviation: Micro parses any type)",
			handler: micro.Handler(respondCool()),
			req:     req{method: "POST", body: jsonBody, ctype: "text/plain;charset=UTF-8"},
			want:    problemResp(415, "Unsupported Media Type", `Unsupported Content-Type \"text/plain;charset=UTF-8\": expected application/json or a +json type`),
		},
		{
			name:    "#25 json under the limit",
			handler: micro.Handler(respondCool(micro.Limit(100))),
			req:     req{method: "POST", body: jsonBody, ctype: "application/json"},
			want:    resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: `{"response":"json"}`},
		},
		{
			name: "#26 json over the limit is 413 and the handler can still answer",
			handler: micro.Handler(func(r *http.Request) (any, error) {
				_, err := micro.JSON[someCool](r, micro.Limit(3))
				var e *micro.Error
				if !errors.As(err, &e) || e.StatusCode() != 413 {
					return nil, fmt.Errorf("want a 413 error, got %v", err)
				}
				return "ok", nil
			}),
			req:  req{method: "POST", body: jsonBody, ctype: "application/json"},
			want: resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "ok"},
		},
		{
			name: "#27 a value that cannot be encoded as JSON is 500",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return map[string]any{"nan": math.NaN()}, nil
			}),
			want: problemResp(500, "Internal Server Error", ""),
		},
		{
			name:    "#28 a plain function needs no ceremony",
			handler: micro.Handler(func(*http.Request) (any, error) { return struct{ A string }{"b"}, nil }),
			want:    resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: `{"A":"b"}`},
		},
		{
			name: "#29 the limit is in the error's message",
			handler: micro.Handler(func(r *http.Request) (any, error) {
				_, err := micro.JSON[someCool](r, micro.Limit(3))
				return nil, err
			}),
			req:  req{method: "POST", body: jsonBody, ctype: "application/json"},
			want: problemResp(413, "Request Entity Too Large", "Body exceeded 3 byte limit"),
		},
		{
			name: "#30 send.Error with a status-carrying error",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				send.Error(w, r, micro.Errorf(403, "Custom"))
			}),
			want: problemResp(403, "Forbidden", "Custom"),
		},
		{
			name: "#31 json twice on one request gives equal values",
			handler: micro.Handler(func(r *http.Request) (any, error) {
				a, err := micro.JSON[someCool](r)
				if err != nil {
					return nil, err
				}
				b, err := micro.JSON[someCool](r)
				if err != nil {
					return nil, err
				}
				if a != b {
					return nil, fmt.Errorf("second read %v != first %v", b, a)
				}
				return map[string]string{"response": b.Some.Cool}, nil
			}),
			req:  req{method: "POST", body: jsonBody, ctype: "application/json"},
			want: resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: `{"response":"json"}`},
		},
		{
			name:    "#32 the status defaults to 200",
			handler: micro.Handler(func(*http.Request) (any, error) { return "woot", nil }),
			want:    resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "woot"},
		},
		{
			name: "#33 Response sets the status",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return &micro.Response{Status: 400, Body: "woot"}, nil
			}),
			want: resp{Status: 400, ContentType: "text/plain; charset=utf-8", Body: "woot"},
		},
		{
			name: "#34 a Content-Type set by the route is kept on a string",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return &micro.Response{Header: htmlHeader(), Body: "<blink>woot</blink>"}, nil
			}),
			want: resp{Status: 200, ContentType: "text/html", Body: "<blink>woot</blink>"},
		},
		{
			name: "#35 a Content-Type set by the route is kept on a stream",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return &micro.Response{Header: htmlHeader(), Body: io.MultiReader(strings.NewReader("River"))}, nil
			}),
			want: resp{Status: 200, ContentType: "text/html", Body: "River"},
		},
		{
			name: "#36 a Content-Type set by the route is kept on bytes",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return &micro.Response{Header: htmlHeader(), Body: []byte("Hammer")}, nil
			}),
			want: resp{Status: 200, ContentType: "text/html", Body: "Hammer"},
		},
		{
			name: "#37 a Content-Type set by the route is kept on an object",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return &micro.Response{Header: htmlHeader(), Body: struct{}{}}, nil
			}),
			want: resp{Status: 200, ContentType: "text/html", Body: "{}"},
		},
		{
			name: "#38 a returned http.Handler writes the response itself",
			handler: micro.Handler(func(*http.Request) (any, error) {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					time.Sleep(100 * time.Millisecond)
					io.WriteString(w, "woot")
				}), nil
			}),
			want: resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "woot"},
		},
		{
			name: "#39 json on a GET without a body is 400 Invalid JSON",
			handler: micro.Handler(func(r *http.Request) (any, error) {
				return micro.JSON[any](r)
			}),
			want: problemResp(400, "Bad Request", "Invalid JSON: the body is empty"),
		},
		{
			name: "#40 an unknown charset is 415 (Micro says 400 Invalid body and loses raw-body's 415)",
			handler: micro.Handler(func(r *http.Request) (any, error) {
				return micro.Text(r)
			}),
			req:  req{method: "POST", body: "❤️", ctype: "text/plain; charset=lol"},
			want: problemResp(415, "Unsupported Media Type", `Unsupported charset \"lol\": expected utf-8`),
		},
		{
			name: "#41 buffer returns the raw body",
			handler: micro.Handler(func(r *http.Request) (any, error) {
				return micro.Buffer(r)
			}),
			req:  req{method: "POST", body: "❤️", ctype: "text/plain;charset=UTF-8"},
			want: resp{Status: 200, ContentType: "application/octet-stream", Body: "❤️"},
		},
		{
			name:    "#42 the JSON Content-Type is exactly application/json; charset=utf-8",
			handler: micro.Handler(func(*http.Request) (any, error) { return struct{}{}, nil }),
			want:    resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: "{}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expect(t, tt.handler, tt.req, tt.want)
		})
	}
}

// TestNilWritesTheStatusOnce is Micro's "return <null> calls res.end once"
// (#16): a nil value writes the 204 once and no body.
func TestNilWritesTheStatusOnce(t *testing.T) {
	w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
	micro.Handler(func(*http.Request) (any, error) { return nil, nil }).
		ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.headers != 1 || w.writes != 0 || w.Code != 204 {
		t.Errorf("WriteHeader calls %d, Write calls %d, status %d; want 1, 0, 204", w.headers, w.writes, w.Code)
	}
}

type countingWriter struct {
	*httptest.ResponseRecorder
	headers, writes int
}

func (w *countingWriter) WriteHeader(code int) {
	w.headers++
	w.ResponseRecorder.WriteHeader(code)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.writes++
	return w.ResponseRecorder.Write(b)
}

// handleErrors is Micro's "custom error" wrapper: a higher-order function
// that answers every inner error or panic with its own value.
func handleErrors(fn micro.Handler) micro.Handler {
	return func(r *http.Request) (v any, err error) {
		defer func() {
			if recover() != nil {
				v, err = "My custom error!", nil
			}
		}()
		if v, err = fn(r); err != nil {
			return "My custom error!", nil
		}
		return v, nil
	}
}

// respondCool decodes Micro's test body and answers {"response": "json"}.
func respondCool(opts ...micro.BodyOption) micro.Handler {
	return func(r *http.Request) (any, error) {
		body, err := micro.JSON[someCool](r, opts...)
		if err != nil {
			return nil, err
		}
		return map[string]string{"response": body.Some.Cool}, nil
	}
}
