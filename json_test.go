package micro_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

type comment struct {
	Comment string `json:"comment"`
	Likes   int    `json:"likes"`
}

// jsonCase is a request for micro.JSON and what it must return.
type jsonCase struct {
	name string
	req  *http.Request
	opts []micro.BodyOption
	want outcome
}

// checkJSON runs micro.JSON on each case's request and compares the status
// and detail of its error (zero when there is none) with the case's.
func checkJSON(t *testing.T, tests []jsonCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := micro.JSON[comment](tt.req, tt.opts...)
			status, detail := errorOf(t, err)
			if diff := cmp.Diff(tt.want, outcome{status, detail}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONErrors(t *testing.T) {
	tests := []jsonCase{
		{"a body of exactly the limit is accepted", post(`{"comment":"abc"}`, "application/json"), []micro.BodyOption{micro.Limit(17)}, outcome{}},
		{"a body one byte over the limit is 413", post(`{"comment":"abcd"}`, "application/json"), []micro.BodyOption{micro.Limit(17)},
			outcome{413, "Body exceeded 17 byte limit"}},
		{"a chunked body of exactly the limit is accepted", chunked(strings.NewReader(`{"comment":"abc"}`), "application/json"), []micro.BodyOption{micro.Limit(17)}, outcome{}},
		{"a chunked body one byte over the limit is 413", chunked(strings.NewReader(`{"comment":"abcd"}`), "application/json"), []micro.BodyOption{micro.Limit(17)},
			outcome{413, "Body exceeded 17 byte limit"}},
		{"the default limit is 1 MiB", post(`"`+strings.Repeat("a", micro.DefaultLimit-1)+`"`, "application/json"), nil,
			outcome{413, "Body exceeded 1048576 byte limit"}},
		{"Limit(0) refuses any byte", post(`{}`, ""), []micro.BodyOption{micro.Limit(0)}, outcome{413, "Body exceeded 0 byte limit"}},
		{"no Content-Type is accepted", post(`{}`, ""), nil, outcome{}},
		{"media type case and parameters are ignored", post(`{}`, "Application/JSON ; Charset=\"UTF-8\""), nil, outcome{}},
		{"a +json type is accepted", post(`{}`, "application/vnd.api+json"), nil, outcome{}},
		{"merge-patch+json is accepted", post(`{}`, "application/merge-patch+json; charset=utf-8"), nil, outcome{}},
		{"a quoted parameter holding ;charset= is not a charset", post(`{}`, `application/json; a="x;charset=latin1"`), nil, outcome{}},
		{"a quoted charset with an escape is unescaped", post(`{}`, `application/json; charset="utf\-8"`), nil, outcome{}},
		{"a quoted charset other than UTF-8 is 415", post(`{}`, `application/json; a="b;c"; charset="latin1"`), nil,
			outcome{415, `Unsupported charset "latin1": JSON must be utf-8`}},
		{"text/plain is 415", post(`{}`, "text/plain"), nil,
			outcome{415, `Unsupported Content-Type "text/plain": expected application/json or a +json type`}},
		{"form data is 415", post(`a=b`, "application/x-www-form-urlencoded"), nil,
			outcome{415, `Unsupported Content-Type "application/x-www-form-urlencoded": expected application/json or a +json type`}},
		{"a look-alike type is 415", post(`{}`, "application/jsonx"), nil,
			outcome{415, `Unsupported Content-Type "application/jsonx": expected application/json or a +json type`}},
		{"a bare +json suffix is 415", post(`{}`, "application/+json"), nil,
			outcome{415, `Unsupported Content-Type "application/+json": expected application/json or a +json type`}},
		{"a charset other than UTF-8 is 415", post(`{}`, "application/json; charset=utf-16"), nil,
			outcome{415, `Unsupported charset "utf-16": JSON must be utf-8`}},
		{"an empty body is 400", post(``, "application/json"), nil, outcome{400, "Invalid JSON: the body is empty"}},
		{"a blank body is 400", post(" \n\t", "application/json"), nil, outcome{400, "Invalid JSON: the body is empty"}},
		{"truncated JSON is 400 with the offset", post(`{"comment":`, "application/json"), nil,
			outcome{400, "Invalid JSON: unexpected end of JSON input (at byte 11)"}},
		{"trailing data after the value is 400", post(`{"comment":"a"} {}`, "application/json"), nil,
			outcome{400, "Invalid JSON: invalid character '{' after top-level value (at byte 17)"}},
		{"a type mismatch names the field", post(`{"comment": 5}`, "application/json"), nil,
			outcome{400, `Invalid JSON: field "comment" must be a string, not number (at byte 13)`}},
		{"a number out of range names the field", post(`{"likes": 1e40}`, "application/json"), nil,
			outcome{400, `Invalid JSON: field "likes" must be a number in the range of int, not number 1e40 (at byte 14)`}},
		{"a top-level mismatch names the expected type", post(`[]`, "application/json"), nil,
			outcome{400, `Invalid JSON: expected an object, not array (at byte 1)`}},
		{"deep nesting is 400, not a crash", post(strings.Repeat("[", 30000)+strings.Repeat("]", 30000), "application/json"), nil,
			outcome{400, "Invalid JSON: invalid character '[' exceeded max depth (at byte 10001)"}},
		{"a UTF-8 byte order mark is skipped", post("\xef\xbb\xbf{}", "application/json"), nil, outcome{}},
		{"a body that cannot be read is 400 Invalid body", chunked(iotest.ErrReader(io.ErrUnexpectedEOF), "application/json"), nil,
			outcome{400, "Invalid body: the request body could not be read"}},
		{"a body past the read deadline is 408", chunked(iotest.ErrReader(os.ErrDeadlineExceeded), "application/json"), nil,
			outcome{408, "Invalid body: it did not arrive in time"}},
	}
	checkJSON(t, tests)
}

func TestJSONDeclaredLengthOverLimitIsRefusedBeforeReading(t *testing.T) {
	body := &testkit.CountingReader{R: strings.NewReader(strings.Repeat("x", 100))}
	r := httptest.NewRequest("POST", "/", body)
	r.ContentLength = 100
	_, err := micro.JSON[any](r, micro.Limit(99))
	if status, _ := errorOf(t, err); status != 413 {
		t.Fatalf("status %d, want 413", status)
	}
	if body.N() != 0 {
		t.Errorf("read %d bytes before refusing; want 0", body.N())
	}
}

func TestJSONReturnsZeroValueOnError(t *testing.T) {
	c, err := micro.JSON[comment](post(`{"comment":"kept?","likes":"no"}`, ""))
	if err == nil {
		t.Fatal("no error for a type mismatch")
	}
	if c != (comment{}) {
		t.Errorf("got %+v with the error; want the zero value", c)
	}
}

// strictID rejects values with a status of its own.
type strictID string

func (s *strictID) UnmarshalJSON(b []byte) error {
	if string(b) == `""` {
		return micro.Errorf(http.StatusUnprocessableEntity, "id must not be empty")
	}
	return json.Unmarshal(b, (*string)(s))
}

func TestJSONKeepsStatusFromUnmarshaler(t *testing.T) {
	_, err := micro.JSON[struct{ ID strictID }](post(`{"ID":""}`, ""))
	status, detail := errorOf(t, err)
	if diff := cmp.Diff(outcome{422, "id must not be empty"}, outcome{status, detail}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
