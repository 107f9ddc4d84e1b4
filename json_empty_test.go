package micro_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
)

func TestJSONAllowEmpty(t *testing.T) {
	allow := []micro.BodyOption{micro.AllowEmpty()}
	tests := []jsonCase{
		{"an empty body is 400 by default", post(``, "application/json"), nil, outcome{400, "Invalid JSON: the body is empty"}},
		{"a blank body is 400 by default", post(" \n\t", "application/json"), nil, outcome{400, "Invalid JSON: the body is empty"}},
		{"Limit alone leaves an empty body 400", post(``, "application/json"), []micro.BodyOption{micro.Limit(10)},
			outcome{400, "Invalid JSON: the body is empty"}},
		{"an empty body is accepted", post(``, "application/json"), allow, outcome{}},
		{"an empty chunked body is accepted", chunked(strings.NewReader(``), "application/json"), allow, outcome{}},
		{"a request without a body is accepted", httptest.NewRequest("POST", "/", http.NoBody), allow, outcome{}},
		{"a byte order mark alone is an empty body", post("\xef\xbb\xbf", "application/json"), allow, outcome{}},
		{"a blank body is still 400", post(" \n\t\r", "application/json"), allow,
			outcome{400, "Invalid JSON: the body is only whitespace"}},
		{"a byte order mark and a space is still 400", post("\xef\xbb\xbf ", "application/json"), allow,
			outcome{400, "Invalid JSON: the body is only whitespace"}},
		{"invalid JSON is still 400", post(`{"comment":`, "application/json"), allow,
			outcome{400, "Invalid JSON: unexpected end of JSON input (at byte 11)"}},
		{"a Content-Type JSON refuses is still 415 on an empty body", post(``, "text/plain"), allow,
			outcome{415, `Unsupported Content-Type "text/plain": expected application/json or a +json type`}},
		{"with Limit(0) an empty body is accepted", post(``, "application/json"), []micro.BodyOption{micro.Limit(0), micro.AllowEmpty()}, outcome{}},
		{"with Limit(0) one byte is still 413", post(`{}`, "application/json"), []micro.BodyOption{micro.AllowEmpty(), micro.Limit(0)},
			outcome{413, "Body exceeded 0 byte limit"}},
		{"a body over a Limit is still 413", post(`{"comment":"abcd"}`, "application/json"), []micro.BodyOption{micro.AllowEmpty(), micro.Limit(17)},
			outcome{413, "Body exceeded 17 byte limit"}},
	}
	checkJSON(t, tests)
}

func TestJSONAllowEmptyDecodes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want comment
	}{
		{"an empty body is the zero value", ``, comment{}},
		{"a body with a value is decoded as without the option", `{"comment":"hi","likes":2}`, comment{Comment: "hi", Likes: 2}},
		{"an empty object is the zero value", `{}`, comment{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := micro.JSON[comment](post(tt.body, "application/json"), micro.AllowEmpty())
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONAllowEmptyPointerIsNil(t *testing.T) {
	got, err := micro.JSON[*comment](post(``, ""), micro.AllowEmpty())
	if err != nil || got != nil {
		t.Errorf("got %v, %v; want nil, nil", got, err)
	}
}

func TestTextAndBufferIgnoreAllowEmpty(t *testing.T) {
	if s, err := micro.Text(post(" ", ""), micro.AllowEmpty()); s != " " || err != nil {
		t.Errorf("Text: %q, %v; want \" \", nil", s, err)
	}
	if b, err := micro.Buffer(post(`{}`, ""), micro.AllowEmpty(), micro.Limit(1)); b != nil || err == nil {
		t.Errorf("Buffer: %q, %v; want the 413 of Limit(1)", b, err)
	}
}
