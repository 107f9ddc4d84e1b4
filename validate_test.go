package micro_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestPointer(t *testing.T) {
	tests := []struct {
		name   string
		tokens []any
		want   string
	}{
		{"no tokens is the whole document", nil, ""},
		{"names and indexes", []any{"items", 0, "name"}, "/items/0/name"},
		{"~ and / are escaped", []any{"a/b", "m~n", "~1"}, "/a~1b/m~0n/~01"},
		{"an empty name is an empty token", []any{""}, "/"},
		{"other integer types are decimal", []any{uint8(3), int64(-1)}, "/3/-1"},
		{"any other type as fmt.Sprint writes it, escaped", []any{1.5, "x", struct{ A string }{"p/q"}}, "/1.5/x/{p~1q}"},
	}
	for _, tt := range tests {
		if got := micro.Pointer(tt.tokens...); got != tt.want {
			t.Errorf("%s: Pointer(%q) = %q, want %q", tt.name, tt.tokens, got, tt.want)
		}
	}
}

func TestInvalid(t *testing.T) {
	const problem = "application/problem+json"
	fields := []micro.FieldError{{Pointer: "/name", Detail: "name must not be empty"}, {Pointer: "/tags/1", Detail: "tag is too long"}}
	expectEach(t, []expectCase[micro.Handler]{
		{"one field error is the detail, and listed", handlerErr(micro.Invalid(fields[0])),
			resp{Status: 422, ContentType: problem, Body: `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"name must not be empty","errors":[{"detail":"name must not be empty","pointer":"/name"}]}`}},
		{"several are joined in the detail", handlerErr(micro.Invalid(fields...)),
			resp{Status: 422, ContentType: problem, Body: `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"name must not be empty; tag is too long","errors":[{"detail":"name must not be empty","pointer":"/name"},{"detail":"tag is too long","pointer":"/tags/1"}]}`}},
		{"none is a 422 without errors", handlerErr(micro.Invalid()),
			problemResp(422, "Unprocessable Entity", "Validation failed")},
	})
	in := []micro.FieldError{{Pointer: "/a", Detail: "x"}}
	err := micro.Invalid(in...)
	in[0].Detail = "changed"
	expect(t, handlerErr(err), req{}, resp{Status: 422, ContentType: problem,
		Body: `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"x","errors":[{"detail":"x","pointer":"/a"}]}`})
}

// signup has a Validate method on the value: it refuses an empty name with
// a field error.
type signup struct {
	Name string `json:"name"`
}

func (s signup) Validate() error {
	if s.Name == "" {
		return micro.Invalid(micro.FieldError{Pointer: micro.Pointer("name"), Detail: "name must not be empty"})
	}
	return nil
}

// errTooLong is a plain error from a Validate method.
var errTooLong = errors.New("name must be at most 5 characters")

// login has a Validate method on the pointer: a plain error, or an error
// with a status of its own.
type login struct {
	Name string `json:"name"`
}

func (l *login) Validate() error {
	switch {
	case len(l.Name) > 5:
		return errTooLong
	case l.Name == "root":
		return fmt.Errorf("checking: %w", micro.Errorf(http.StatusForbidden, "root may not log in"))
	}
	return nil
}

func TestJSONValidates(t *testing.T) {
	js := "application/json"
	t.Run("a value method", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			body string
			opts []micro.BodyOption
			want outcome
		}{
			{"a valid value passes", `{"name":"ann"}`, nil, outcome{}},
			{"an invalid value is its 422", `{"name":""}`, nil, outcome{422, "name must not be empty"}},
			{"null is validated as the zero value", `null`, nil, outcome{422, "name must not be empty"}},
			{"AllowEmpty's zero value is validated", ``, []micro.BodyOption{micro.AllowEmpty()}, outcome{422, "name must not be empty"}},
		} {
			v, err := micro.JSON[signup](post(tt.body, js), tt.opts...)
			status, detail := errorOf(t, err)
			if diff := cmp.Diff(tt.want, outcome{status, detail}); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
			if err != nil && v != (signup{}) {
				t.Errorf("%s: value %+v with an error, want the zero value", tt.name, v)
			}
		}
	})
	t.Run("a pointer method", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			body string
			want outcome
		}{
			{"a valid value passes", `{"name":"ann"}`, outcome{}},
			{"a plain error is a 422 with its text", `{"name":"annabel"}`, outcome{422, "name must be at most 5 characters"}},
			{"an error with a status is returned as it is", `{"name":"root"}`, outcome{403, "root may not log in"}},
		} {
			_, err := micro.JSON[login](post(tt.body, js))
			status, detail := errorOf(t, err)
			if diff := cmp.Diff(tt.want, outcome{status, detail}); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		}
		_, err := micro.JSON[login](post(`{"name":"annabel"}`, js))
		if !errors.Is(err, errTooLong) {
			t.Errorf("errors.Is(%v, errTooLong) = false: the cause is lost", err)
		}
		if _, err := micro.JSON[login](post(`{"name":"root"}`, js)); err == nil || err.Error() != "checking: root may not log in" {
			t.Errorf("error %v, want Validate's own", err)
		}
	})
	t.Run("a pointer type argument", func(t *testing.T) {
		v, err := micro.JSON[*login](post(`{"name":"annabel"}`, js))
		if status, _ := errorOf(t, err); status != 422 || v != nil {
			t.Errorf("JSON[*login] = %v, %v; want nil and a 422", v, err)
		}
		if v, err := micro.JSON[*login](post(`null`, js)); v != nil || err != nil {
			t.Errorf("JSON[*login] of null = %v, %v; want nil, nil: Validate is not called on nil", v, err)
		}
		if v, err := micro.JSON[*login](post(`{"name":"ann"}`, js)); err != nil || v.Name != "ann" {
			t.Errorf("JSON[*login] = %v, %v; want ann", v, err)
		}
	})
	t.Run("Validate is not called on a body that does not decode", func(t *testing.T) {
		_, err := micro.JSON[refused](post(`{"name":`, js))
		if status, _ := errorOf(t, err); status != 400 {
			t.Errorf("status %d, want 400", status)
		}
		if _, err := micro.JSON[refused](post(`{}`, js)); err == nil || err.Error() != "refused" {
			t.Errorf("error %v, want refused: the check above proves nothing", err)
		}
	})
}

// refused is refused by its Validate method, whatever it holds.
type refused struct{}

func (refused) Validate() error { return micro.Errorf(http.StatusTeapot, "refused") }

func TestJSONValidationProblem(t *testing.T) {
	h := micro.Handler(func(r *http.Request) (any, error) {
		return micro.JSON[signup](r)
	})
	got := roundTrip(t, h, req{method: "POST", body: `{"name":""}`, ctype: "application/json"})
	var p struct {
		Status int                `json:"status"`
		Detail string             `json:"detail"`
		Errors []micro.FieldError `json:"errors"`
	}
	if err := json.Unmarshal([]byte(got.Body), &p); err != nil {
		t.Fatalf("body %q: %v", got.Body, err)
	}
	want := []micro.FieldError{{Pointer: "/name", Detail: "name must not be empty"}}
	if got.Status != 422 || p.Status != 422 || !cmp.Equal(p.Errors, want) {
		t.Errorf("got %d %s; want 422 with errors %v", got.Status, got.Body, want)
	}
}

// validatedPayload is benchPayload with a Validate method that passes it.
type validatedPayload benchPayload

func (p *validatedPayload) Validate() error {
	if p.Author == "" {
		return micro.Invalid(micro.FieldError{Pointer: "/author", Detail: "author must not be empty"})
	}
	return nil
}

func TestJSONValidateCostsNoAllocations(t *testing.T) {
	if testkit.RaceEnabled {
		t.Skip("the body is read through a sync.Pool, which drops items under -race")
	}
	data := benchBody()
	run := func(decode func(*http.Request) error) float64 {
		r := post("", "application/json")
		body := new(resettableBody)
		return testing.AllocsPerRun(100, func() {
			body.Reset(data)
			r.Body, r.ContentLength = body, int64(len(data))
			if err := decode(r); err != nil {
				t.Fatal(err)
			}
		})
	}
	plain := run(func(r *http.Request) error { _, err := micro.JSON[benchPayload](r); return err })
	validated := run(func(r *http.Request) error { _, err := micro.JSON[validatedPayload](r); return err })
	read := run(func(r *http.Request) error { _, err := micro.Buffer(r); return err })
	decode := testing.AllocsPerRun(100, func() {
		var v benchPayload
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
	})
	// JSON is Buffer's reading and json.Unmarshal's decoding: a look-up
	// of Validate that boxed a T would cost one more.
	if plain != read+decode {
		t.Errorf("JSON allocates %v times; reading and decoding cost %v + %v", plain, read, decode)
	}
	if validated != plain {
		t.Errorf("JSON allocates %v times with a passing Validate, %v without; want the same", validated, plain)
	}
	plainPtr := run(func(r *http.Request) error { _, err := micro.JSON[*benchPayload](r); return err })
	validatedPtr := run(func(r *http.Request) error { _, err := micro.JSON[*validatedPayload](r); return err })
	if validatedPtr != plainPtr {
		t.Errorf("JSON[*T] allocates %v times with a passing Validate, %v without; want the same", validatedPtr, plainPtr)
	}
}

// BenchmarkDecodeJSONValidate decodes the body of BenchmarkDecodeJSON into
// a type with a Validate method, against net/http calling it by hand.
func BenchmarkDecodeJSONValidate(b *testing.B) {
	benchDecoders(b, benchBody(), "", []benchDecoder{
		{"impl=nethttp", func(w http.ResponseWriter, r *http.Request) (benchPayload, error) {
			var v validatedPayload
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, micro.DefaultLimit)).Decode(&v); err != nil {
				return benchPayload{}, err
			}
			return benchPayload(v), v.Validate()
		}},
		{"impl=micro", func(_ http.ResponseWriter, r *http.Request) (benchPayload, error) {
			v, err := micro.JSON[validatedPayload](r)
			return benchPayload(v), err
		}},
	})
}

// panicky recovers a panic of its checks with micro.Recovered and returns
// it, wrapped, as its error.
type panicky struct{}

func (panicky) Validate() (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("checking the body: %w", micro.Recovered(v))
		}
	}()
	panic("secret index 7 out of range")
}

// TestJSONValidateKeepsRecoveredPanicsPrivate: a recovered panic from
// Validate stays an unclassified error, a 500 whose text is never sent,
// not a 422 with the panic's text as its detail.
func TestJSONValidateKeepsRecoveredPanicsPrivate(t *testing.T) {
	var log testkit.Log
	h := middleware.ErrorLogger(log.JSONLogger(slog.LevelDebug))(micro.Handler(func(r *http.Request) (any, error) {
		return micro.JSON[panicky](r)
	}))
	got := roundTrip(t, h, req{method: "POST", body: `{}`, ctype: "application/json"})
	if got.Status != 500 || strings.Contains(got.Body, "secret") {
		t.Errorf("got %d %s; want a 500 without the panic's text", got.Status, got.Body)
	}
	if !strings.Contains(log.String(), "secret index 7") {
		t.Errorf("the panic is not logged: %q", log.String())
	}
}

// panickyJSON recovers a panic of its own UnmarshalJSON with
// micro.Recovered.
type panickyJSON struct{}

func (*panickyJSON) UnmarshalJSON([]byte) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("decoding: %w", micro.Recovered(v))
		}
	}()
	panic("secret index 9 out of range")
}

// TestJSONKeepsRecoveredPanicsOfUnmarshalJSONPrivate: a recovered panic
// from an UnmarshalJSON method is no invalid JSON: a 500 whose text is
// logged, not a 400 with the panic's text as its detail.
func TestJSONKeepsRecoveredPanicsOfUnmarshalJSONPrivate(t *testing.T) {
	var log testkit.Log
	h := middleware.ErrorLogger(log.JSONLogger(slog.LevelDebug))(micro.Handler(func(r *http.Request) (any, error) {
		return micro.JSON[panickyJSON](r)
	}))
	got := roundTrip(t, h, req{method: "POST", body: `{}`, ctype: "application/json"})
	if got.Status != 500 || strings.Contains(got.Body, "secret") {
		t.Errorf("got %d %s; want a 500 without the panic's text", got.Status, got.Body)
	}
	if !strings.Contains(log.String(), "secret index 9") {
		t.Errorf("the panic is not logged: %q", log.String())
	}
}
