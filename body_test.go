package micro_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
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
