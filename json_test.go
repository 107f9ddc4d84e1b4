package micro_test

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
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

// post builds a server-side request with a body of known length.
func post(body, ctype string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	return r
}

// chunked builds a request whose body length is not declared.
func chunked(body io.Reader, ctype string) *http.Request {
	r := httptest.NewRequest("POST", "/", body)
	r.ContentLength = -1
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	return r
}

// errorOf checks that err is a *micro.Error and returns its status and
// message.
func errorOf(t *testing.T, err error) (int, string) {
	t.Helper()
	if err == nil {
		return 0, ""
	}
	var e *micro.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *micro.Error", err, err)
	}
	return e.StatusCode(), e.Error()
}

type outcome struct {
	Status int
	Detail string
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

func TestChunkedBodyIsCutAfterLimitPlusOneBytes(t *testing.T) {
	body := &testkit.CountingReader{R: infinite{}}
	_, err := micro.Buffer(chunked(body, ""), micro.Limit(1000))
	if status, _ := errorOf(t, err); status != 413 {
		t.Fatalf("status %d, want 413", status)
	}
	if body.N() != 1001 {
		t.Errorf("read %d bytes; want exactly limit+1 = 1001", body.N())
	}
}

type infinite struct{}

func (infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestMaxBytesReaderEarlierInTheChainIs413(t *testing.T) {
	r := chunked(strings.NewReader(strings.Repeat("x", 100)), "")
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 10)
	_, err := micro.Text(r)
	status, detail := errorOf(t, err)
	if diff := cmp.Diff(outcome{413, "Body exceeded 10 byte limit"}, outcome{status, detail}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// readEach reads r's body with each of reads in turn, failing the test on
// an error, and returns what they read.
func readEach(t *testing.T, r *http.Request, reads ...func(*http.Request) (any, error)) []any {
	t.Helper()
	var got []any
	for _, read := range reads {
		v, err := read(r)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	return got
}

// readJSON, readText and readBuffer read the body with the helper of
// their name; readReplay reads r.Body itself. Bytes are read as a string.
func readJSON[T any](r *http.Request) (any, error) { return micro.JSON[T](r) }
func readText(r *http.Request) (any, error)        { return micro.Text(r) }
func readBuffer(r *http.Request) (any, error) {
	b, err := micro.Buffer(r)
	return string(b), err
}
func readReplay(r *http.Request) (any, error) {
	b, err := io.ReadAll(r.Body)
	return string(b), err
}

func TestBodyIsReadOnce(t *testing.T) {
	r := post(`{"comment":"hi","likes":2}`, "application/json")
	got := readEach(t, r, readJSON[comment], readJSON[map[string]any], readText, readBuffer, readReplay)
	want := `{"comment":"hi","likes":2}`
	if diff := cmp.Diff([]any{comment{"hi", 2}, map[string]any{"comment": "hi", "likes": 2.0}, want, want, want}, got); diff != "" {
		t.Errorf("later reads differ (-want +got):\n%s", diff)
	}
	if err := r.Body.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestBodyReadOnceKeepsErrorsAndLimits(t *testing.T) {
	r := post(strings.Repeat("x", 50), "")
	if _, err := micro.Buffer(r, micro.Limit(10)); err == nil {
		t.Fatal("first read under a 10-byte limit succeeded")
	}
	if _, err := micro.Buffer(r); err == nil {
		t.Error("a later read with a larger limit succeeded on a body already cut")
	}

	r = post(strings.Repeat("x", 50), "")
	if _, err := micro.Buffer(r); err != nil {
		t.Fatal(err)
	}
	_, err := micro.Text(r, micro.Limit(49))
	if status, _ := errorOf(t, err); status != 413 {
		t.Errorf("a later read with a smaller limit: status %d, want 413", status)
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

func TestTextErrors(t *testing.T) {
	tests := []struct {
		name string
		req  *http.Request
		want outcome
	}{
		{"any Content-Type is accepted", post("héllo", "text/csv"), outcome{}},
		{"us-ascii is accepted", post("hello", "text/plain; charset=us-ascii"), outcome{}},
		{"an unknown charset is 415", post("hello", "text/plain; charset=latin9"), outcome{415, `Unsupported charset "latin9": expected utf-8`}},
		{"invalid UTF-8 is 400", post("h\xffllo", "text/plain"), outcome{400, "Invalid body: not valid UTF-8"}},
		{"over the limit is 413", post(strings.Repeat("a", micro.DefaultLimit+1), ""), outcome{413, "Body exceeded 1048576 byte limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := micro.Text(tt.req)
			status, detail := errorOf(t, err)
			if diff := cmp.Diff(tt.want, outcome{status, detail}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoBody(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if s, err := micro.Text(r); s != "" || err != nil {
		t.Errorf("Text = %q, %v; want \"\", nil", s, err)
	}
	if b, err := micro.Buffer(r); len(b) != 0 || err != nil {
		t.Errorf("Buffer = %q, %v; want empty, nil", b, err)
	}
	r.Body = nil
	if _, err := micro.JSON[any](r); err == nil {
		t.Error("JSON of a nil body: no error; want 400")
	}
}

func TestNegativeLimitPanics(t *testing.T) {
	if testkit.Recover(func() { micro.Limit(-1) }) == nil {
		t.Error("Limit(-1) did not panic")
	}
}

// TestShortBodyOverTCP sends a body shorter than its Content-Length and
// closes the connection: the route sees 400 Invalid body.
func TestShortBodyOverTCP(t *testing.T) {
	got := make(chan error, 1)
	srv := httptest.NewServer(micro.Handler(func(r *http.Request) (any, error) {
		_, err := micro.Buffer(r)
		got <- err
		return nil, err
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabcde")
	conn.(*net.TCPConn).CloseWrite()
	defer conn.Close()
	status, detail := errorOf(t, <-got)
	if diff := cmp.Diff(outcome{400, "Invalid body: the request body could not be read"}, outcome{status, detail}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestHugeLimitIsSafe(t *testing.T) {
	b, err := micro.Buffer(chunked(strings.NewReader("abc"), ""), micro.Limit(math.MaxInt64))
	if err != nil || string(b) != "abc" {
		t.Errorf("Buffer = %q, %v", b, err)
	}
}

// TestDeclaredLengthDoesNotPreallocateUnbounded declares a 1 GiB body under a
// 2 GiB limit and sends 3 bytes: the read fails as a short body without
// first allocating the declared size.
func TestDeclaredLengthDoesNotPreallocateUnbounded(t *testing.T) {
	r := post("abc", "")
	r.ContentLength = 1 << 30
	r.Body = io.NopCloser(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(io.ErrUnexpectedEOF)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := micro.Buffer(r, micro.Limit(2<<30))
	runtime.ReadMemStats(&after)
	if status, _ := errorOf(t, err); status != 400 {
		t.Errorf("status %d, want 400", status)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("allocated %d bytes for a 3-byte body", grew)
	}
}
