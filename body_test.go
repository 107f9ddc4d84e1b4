package micro_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
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
	conn := testkit.Dial(t, srv)
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabcde")
	conn.(*net.TCPConn).CloseWrite()
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

// compressed returns b compressed with a Content-Encoding, case ignored:
// gzip, x-gzip, deflate (the zlib format), or "raw deflate" for a deflate
// stream without zlib's framing.
func compressed(b []byte, coding string) []byte {
	var (
		buf bytes.Buffer
		zw  io.WriteCloser
	)
	switch strings.ToLower(coding) {
	case "deflate":
		zw = zlib.NewWriter(&buf)
	case "raw deflate":
		zw, _ = flate.NewWriter(&buf, flate.DefaultCompression)
	default:
		zw = gzip.NewWriter(&buf)
	}
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func gzipped(b []byte) []byte { return compressed(b, "gzip") }

// encoded builds a request whose body, of known length, is b with the
// Content-Encoding values coding.
func encoded(b []byte, ctype string, coding ...string) *http.Request {
	r := post(string(b), ctype)
	for _, c := range coding {
		r.Header.Add("Content-Encoding", c)
	}
	return r
}

func TestContentEncoding(t *testing.T) {
	doc := []byte(`{"comment":"abc"}`) // 17 bytes
	gz := gzipped(doc)
	flipped := bytes.Clone(gz)
	flipped[len(flipped)-5] ^= 1 // in the CRC-32 of the trailer
	chunkedGzip := func(body io.Reader) *http.Request {
		r := chunked(body, "application/json")
		r.Header.Set("Content-Encoding", "gzip")
		return r
	}
	maxBytes := chunkedGzip(bytes.NewReader(gzipped(bytes.Repeat([]byte("x"), 100))))
	maxBytes.Body = http.MaxBytesReader(httptest.NewRecorder(), maxBytes.Body, 10)

	unsupported := func(v string) outcome {
		return outcome{415, `Unsupported Content-Encoding "` + v + `": expected one of gzip, x-gzip, deflate or identity`}
	}
	tests := []jsonCase{
		{"gzip is inflated", encoded(gz, "application/json", "gzip"), nil, outcome{}},
		{"x-gzip is gzip", encoded(gz, "application/json", "x-gzip"), nil, outcome{}},
		{"coding names are case-insensitive", encoded(gz, "application/json", "GZip"), nil, outcome{}},
		{"deflate is the zlib format", encoded(compressed(doc, "deflate"), "application/json", "Deflate"), nil, outcome{}},
		{"identity is plain", encoded(doc, "application/json", "identity"), nil, outcome{}},
		{"empty list elements and identity are skipped", encoded(gz, "application/json", " , identity,gzip ,"), nil, outcome{}},
		{"an inflated body of exactly the limit is accepted, the compressed one larger", encoded(gz, "", "gzip"), []micro.BodyOption{micro.Limit(17)}, outcome{}},
		{"an inflated body one byte over the limit is 413", encoded(gz, "", "gzip"), []micro.BodyOption{micro.Limit(16)},
			outcome{413, "Body exceeded 16 byte limit"}},
		{"a declared length over the wire bound is 413 unread", encoded(append(gzipped(doc), make([]byte, 64<<10)...), "", "gzip"),
			[]micro.BodyOption{micro.Limit(0)}, outcome{413, "Compressed body exceeded 65536 byte limit"}},
		{"plain JSON labelled gzip is 400", encoded(doc, "application/json", "gzip"), nil, outcome{400, "Invalid body: not valid gzip data"}},
		{"a truncated gzip stream is 400", encoded(gz[:len(gz)-4], "application/json", "gzip"), nil, outcome{400, "Invalid body: not valid gzip data"}},
		{"a gzip stream with a bad checksum is 400", encoded(flipped, "application/json", "gzip"), nil, outcome{400, "Invalid body: not valid gzip data"}},
		{"trailing bytes after the gzip stream are 400", encoded(append(bytes.Clone(gz), 0, 0), "application/json", "gzip"), nil,
			outcome{400, "Invalid body: not valid gzip data"}},
		{"trailing bytes after the deflate stream are 400", encoded(append(compressed(doc, "deflate"), "GARBAGE"...), "application/json", "deflate"), nil,
			outcome{400, "Invalid body: not valid deflate data (zlib format)"}},
		{"two zlib streams in a row are 400", encoded(append(compressed(doc, "deflate"), compressed(doc, "deflate")...), "application/json", "deflate"), nil,
			outcome{400, "Invalid body: not valid deflate data (zlib format)"}},
		{"raw deflate, without zlib's framing, is 400", encoded(compressed(doc, "raw deflate"), "application/json", "deflate"), nil,
			outcome{400, "Invalid body: not valid deflate data (zlib format)"}},
		{"gzip labelled deflate is 400", encoded(gz, "application/json", "deflate"), nil,
			outcome{400, "Invalid body: not valid deflate data (zlib format)"}},
		{"an unknown coding is 415", encoded(doc, "application/json", "br"), nil, unsupported("br")},
		{"compress is 415", encoded(doc, "application/json", "compress"), nil, unsupported("compress")},
		{"two codings in one field are 415", encoded(gzipped(gz), "application/json", "gzip, gzip"), nil, unsupported("gzip, gzip")},
		{"two codings in two fields are 415", encoded(gzipped(gz), "application/json", "gzip", "gzip"), nil, unsupported("gzip, gzip")},
		{"a client read error under gzip is 400 Invalid body", chunkedGzip(io.MultiReader(bytes.NewReader(gz[:10]), iotest.ErrReader(io.ErrUnexpectedEOF))), nil,
			outcome{400, "Invalid body: the request body could not be read"}},
		{"a read deadline under gzip is 408", chunkedGzip(iotest.ErrReader(os.ErrDeadlineExceeded)), nil,
			outcome{408, "Invalid body: it did not arrive in time"}},
		{"a MaxBytesReader earlier in the chain under gzip is 413", maxBytes, nil, outcome{413, "Body exceeded 10 byte limit"}},
	}
	checkJSON(t, tests)
}

func TestContentEncodingAppliesToTextAndBuffer(t *testing.T) {
	text := "café, inflated"
	r := encoded(gzipped([]byte(text)), "text/plain", "gzip")
	s, err := micro.Text(r)
	if err != nil || s != text {
		t.Fatalf("Text = %q, %v; want %q", s, err, text)
	}
	b, err := micro.Buffer(encoded(compressed([]byte(text), "deflate"), "", "deflate"))
	if err != nil || string(b) != text {
		t.Fatalf("Buffer = %q, %v; want %q", b, err, text)
	}
	for name, read := range map[string]func(*http.Request) error{
		"Text":   func(r *http.Request) error { _, err := micro.Text(r); return err },
		"Buffer": func(r *http.Request) error { _, err := micro.Buffer(r); return err },
	} {
		status, _ := errorOf(t, read(encoded([]byte(text), "", "zstd")))
		if status != 415 {
			t.Errorf("%s on zstd: status %d, want 415", name, status)
		}
		status, _ = errorOf(t, read(encoded([]byte(text), "", "gzip")))
		if status != 400 {
			t.Errorf("%s on plain text labelled gzip: status %d, want 400", name, status)
		}
	}
}

func TestUnsupportedContentEncodingIsAnsweredWithAcceptEncoding(t *testing.T) {
	h := micro.Handler(func(r *http.Request) (any, error) { return micro.Buffer(r) })
	body := &testkit.CountingReader{R: strings.NewReader("data")}
	r := httptest.NewRequest("POST", "/", body)
	r.Header.Set("Content-Encoding", "br")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 415 || w.Header().Get("Accept-Encoding") != "gzip, deflate" || body.N() != 0 {
		t.Errorf("status %d, Accept-Encoding %q, %d bytes read; want 415, \"gzip, deflate\", 0",
			w.Code, w.Header().Get("Accept-Encoding"), body.N())
	}
}

// TestZipBombCostsAtMostTheLimit sends 10 MiB of zeros gzipped to about
// 10 KiB (ten gzip members of 1 MiB each, quicker to make than one): the
// 413 comes after reading a few KiB of it, allocating little beyond the
// limit.
func TestZipBombCostsAtMostTheLimit(t *testing.T) {
	bomb := bytes.Repeat(gzipped(make([]byte, 1<<20)), 10)
	const limit = 64 << 10
	body := &testkit.CountingReader{R: bytes.NewReader(bomb)}
	r := chunked(body, "")
	r.Header.Set("Content-Encoding", "gzip")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := micro.Buffer(r, micro.Limit(limit))
	runtime.ReadMemStats(&after)

	status, detail := errorOf(t, err)
	if diff := cmp.Diff(outcome{413, "Body exceeded 65536 byte limit"}, outcome{status, detail}); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if body.N() >= len(bomb) {
		t.Errorf("read all %d compressed bytes; want it cut at the limit", body.N())
	}
	t.Logf("bomb of %d bytes: read %d, allocated %d", len(bomb), body.N(), after.TotalAlloc-before.TotalAlloc)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*limit+256<<10 {
		t.Errorf("allocated %d bytes for a limit of %d", alloc, limit)
	}
}

// repeating reads b over and over, forever.
type repeating struct {
	b   []byte
	off int
}

func (r *repeating) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}

func TestEndlessEmptyGzipMembersAreCutAtTheWireBound(t *testing.T) {
	body := &testkit.CountingReader{R: &repeating{b: gzipped(nil)}} // each inflates to nothing
	r := chunked(body, "")
	r.Header.Set("Content-Encoding", "gzip")
	_, err := micro.Buffer(r, micro.Limit(10))
	status, detail := errorOf(t, err)
	if diff := cmp.Diff(outcome{413, "Compressed body exceeded 65556 byte limit"}, outcome{status, detail}); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if body.N() != 65557 {
		t.Errorf("read %d compressed bytes; want the bound plus one, 65557", body.N())
	}
}

func TestCompressedBodyIsReadOnceAndReplayedInflated(t *testing.T) {
	doc := `{"comment":"hi","likes":2}`
	r := encoded(gzipped([]byte(doc)), "application/json", "gzip")
	got := readEach(t, r, readJSON[comment], readText, readReplay)
	if diff := cmp.Diff([]any{comment{"hi", 2}, doc, doc}, got); diff != "" {
		t.Errorf("later reads differ (-want +got):\n%s", diff)
	}
}

func TestCompressedEmptyRequestIsEmpty(t *testing.T) {
	r := httptest.NewRequest("POST", "/", http.NoBody)
	r.Header.Set("Content-Encoding", "gzip")
	b, err := micro.Buffer(r)
	if err != nil || len(b) != 0 {
		t.Errorf("Buffer = %q, %v; want empty", b, err)
	}
}

// TestEmptyRequestWithAnyCodingIsEmpty checks that a request without a
// body is empty whatever its Content-Encoding says, as Text and Buffer
// document: there is nothing to decode, so no coding is unsupported.
func TestEmptyRequestWithAnyCodingIsEmpty(t *testing.T) {
	for _, body := range []io.Reader{nil, http.NoBody} {
		for _, coding := range []string{"br", "gzip, gzip", "zstd"} {
			r := httptest.NewRequest("GET", "/", body)
			r.Header.Set("Content-Encoding", coding)
			s, err := micro.Text(r)
			if err != nil || s != "" {
				t.Errorf("Text of a request without a body, Content-Encoding %q = %q, %v; want \"\"", coding, s, err)
			}
			r.Body = nil
			b, err := micro.Buffer(r)
			if err != nil || len(b) != 0 {
				t.Errorf("Buffer of a request with a nil Body, Content-Encoding %q = %q, %v; want empty", coding, b, err)
			}
		}
	}
}

// TestInflatedRequestDescribesItsBody checks that once a helper has
// inflated a body, the request describes what r.Body replays: no
// Content-Encoding, and the inflated length, so that code forwarding the
// request (a reverse proxy) or decoding r.Body itself sees plain bytes of
// the right length; the header map it shared with the requests of earlier
// middlewares is left as it was.
func TestInflatedRequestDescribesItsBody(t *testing.T) {
	doc := `{"comment":"hi","likes":2}`
	for _, coding := range []string{"gzip", "deflate"} {
		for _, r := range []*http.Request{
			encoded(compressed([]byte(doc), coding), "application/json", coding),
			chunked(bytes.NewReader(compressed([]byte(doc), coding)), "application/json"),
		} {
			r.Header.Set("Content-Encoding", coding)
			r.Header.Set("Content-Length", "99")
			outer := r.Header // a middleware's request before this one, sharing the map
			if _, err := micro.JSON[comment](r); err != nil {
				t.Fatal(err)
			}
			if outer.Get("Content-Encoding") != coding {
				t.Errorf("%s: the header map shared with earlier requests was changed: %v", coding, outer)
			}
			replay, _ := io.ReadAll(r.Body)
			got := []any{r.Header.Values("Content-Encoding"), r.Header.Values("Content-Length"), r.ContentLength, string(replay)}
			want := []any{[]string(nil), []string(nil), int64(len(doc)), doc}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: request after JSON (-want +got):\n%s", coding, diff)
			}
		}
	}
}

// TestInflatedRequestCanBeProxied forwards a gzip request through
// httputil.ReverseProxy after validating its JSON: the upstream gets the
// inflated document, not a 502 for a body whose length and coding the
// request misstated.
func TestInflatedRequestCanBeProxied(t *testing.T) {
	doc := `{"comment":"` + strings.Repeat("x", 100) + `","likes":2}`
	up := httptest.NewServer(micro.Handler(func(r *http.Request) (any, error) { return micro.Text(r) }))
	defer up.Close()
	target, _ := url.Parse(up.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := micro.JSON[comment](r); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	req, _ := http.NewRequest("POST", front.URL, bytes.NewReader(gzipped([]byte(doc))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	res, err := front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(body) != doc {
		t.Errorf("through the proxy: %d %q; want 200 %q", res.StatusCode, body, doc)
	}
}

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
