package micro_test

import (
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

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
