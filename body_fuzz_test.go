package micro_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

// The body fuzz targets check JSON, Text and Buffer against a model of
// what the request would carry: the bytes the server's body reader hands
// out for a framing (declared length, possibly lying; unknown length;
// unknown length behind an http.MaxBytesReader), the limit, and the
// Content-Type rules, judged with mime.ParseMediaType.

// fuzzFraming is how a fuzzed body reaches the helper.
type fuzzFraming uint8

const (
	fuzzDeclared fuzzFraming = iota // Content-Length: len(body)+lie, as net/http's server serves it
	fuzzUnknown                     // chunked: no length, one byte per Read
	fuzzMaxBytes                    // chunked behind http.MaxBytesReader(uint8(lie))
	fuzzFramings
)

// fuzzBOM is the UTF-8 byte order mark the helpers skip.
const fuzzBOM = "\xef\xbb\xbf"

// fuzzShort is the body of a request whose Content-Length promised more
// than the client sent: net/http's server returns io.ErrUnexpectedEOF.
type fuzzShort struct{ r io.Reader }

func (s fuzzShort) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// fuzzInput is one fuzzed request body and the helper options.
type fuzzInput struct {
	body    []byte
	ctype   string
	limit   int64 // -1: no Limit option, so micro.DefaultLimit
	framing fuzzFraming
	lie     int8
}

// fuzzWant is the model's verdict on a fuzzInput, before the helper's own
// decoding: either a status, or the bytes the helper gets to decode.
type fuzzWant struct {
	status   int    // 413, 400 ("Invalid body"), or 0 when the body is read
	detail   string // the exact detail of a 413
	data     []byte // the body the helper sees when status is 0
	maxReads int    // the most bytes the helper may take from the client
}

// fuzzModel says what reading in.body gives, by the rules of body.go's
// doc comments and net/http's server behaviour.
func fuzzModel(in fuzzInput) fuzzWant {
	limit := in.limit
	if limit < 0 {
		limit = micro.DefaultLimit
	}
	over := func(l int64) fuzzWant {
		return fuzzWant{status: 413, detail: "Body exceeded " + strconv.FormatInt(l, 10) + " byte limit", maxReads: int(limit) + 1}
	}
	data, short := in.body, false
	switch in.framing {
	case fuzzDeclared:
		cl := max(int64(len(in.body))+int64(in.lie), 0)
		if cl > limit {
			return fuzzWant{status: 413, detail: "Body exceeded " + strconv.FormatInt(limit, 10) + " byte limit"} // not a byte read
		}
		if cl < int64(len(data)) {
			data = data[:cl]
		} else if cl > int64(len(data)) {
			short = true
		}
	case fuzzMaxBytes:
		if mb := int64(uint8(in.lie)); int64(len(data)) > min(limit, mb) {
			return over(min(limit, mb))
		}
	}
	if int64(len(data)) > limit {
		return over(limit)
	}
	if short {
		return fuzzWant{status: 400, maxReads: int(limit) + 1}
	}
	return fuzzWant{data: data, maxReads: int(limit) + 1}
}

// fuzzRequest builds the request of in and the counter of what the
// helper takes from the client.
func fuzzRequest(in fuzzInput) (*http.Request, *testkit.CountingReader) {
	src := &testkit.CountingReader{R: bytes.NewReader(in.body)}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if in.ctype != "" {
		r.Header.Set("Content-Type", in.ctype)
	}
	switch in.framing {
	case fuzzDeclared:
		cl := max(int64(len(in.body))+int64(in.lie), 0)
		r.ContentLength = cl
		switch {
		case cl == 0:
			r.Body = http.NoBody // what net/http's server gives
		case cl <= int64(len(in.body)):
			r.Body = io.NopCloser(io.LimitReader(src, cl))
		default:
			r.Body = io.NopCloser(fuzzShort{src})
		}
	case fuzzUnknown:
		r.ContentLength = -1
		r.Body = io.NopCloser(iotest.OneByteReader(src))
	case fuzzMaxBytes:
		r.ContentLength = -1
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(src), int64(uint8(in.lie)))
	}
	return r, src
}

// fuzzInputOf turns the fuzzer's arguments into a fuzzInput; a limit of
// 0xFFFF stands for no Limit option.
func fuzzInputOf(body []byte, ctype string, limit uint16, framing uint8, lie int8) fuzzInput {
	in := fuzzInput{body: body, ctype: ctype, limit: int64(limit), framing: fuzzFraming(framing % uint8(fuzzFramings)), lie: lie}
	if limit == 0xFFFF {
		in.limit = -1
	}
	return in
}

// fuzzOptions returns the BodyOptions of in.
func fuzzOptions(in fuzzInput) []micro.BodyOption {
	if in.limit < 0 {
		return nil
	}
	return []micro.BodyOption{micro.Limit(in.limit)}
}

// fuzzCheckError checks that err is a *micro.Error with the status want
// (one of 400, 413, 415) and, for 413, the detail of the model.
func fuzzCheckError(t *testing.T, err error, want fuzzWant, wantStatus int, prefix string) {
	t.Helper()
	var me *micro.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *micro.Error", err, err)
	}
	if me.StatusCode() != wantStatus {
		t.Fatalf("status %d (%q), want %d", me.StatusCode(), me.Error(), wantStatus)
	}
	switch {
	case wantStatus == 413:
		if me.Error() != want.detail {
			t.Fatalf("detail %q, want %q", me.Error(), want.detail)
		}
	case !strings.HasPrefix(me.Error(), prefix):
		t.Fatalf("detail %q does not start with %q", me.Error(), prefix)
	}
}

// fuzzBodies runs check on each input of a body target, seeded by
// fuzzBodySeeds.
func fuzzBodies(f *testing.F, check func(t *testing.T, in fuzzInput)) {
	fuzzBodySeeds(f)
	f.Fuzz(func(t *testing.T, body []byte, ctype string, limit uint16, framing uint8, lie int8) {
		check(t, fuzzInputOf(body, ctype, limit, framing, lie))
	})
}

// fuzzCheckRefused checks the verdict on the Content-Type, given before a
// byte is read: when the oracle parses it (judged) and refuses it, err must
// be a 415 whose detail starts with prefix, with nothing read; when the
// oracle cannot parse it, a 415 is fine too. It reports whether the
// Content-Type decided the input.
func fuzzCheckRefused(t *testing.T, err error, src *testkit.CountingReader, judged, refused bool, prefix string) bool {
	t.Helper()
	if judged && refused {
		fuzzCheckError(t, err, fuzzWant{}, 415, prefix)
		if src.N() != 0 {
			t.Fatalf("415 after reading %d bytes of the body", src.N())
		}
		return true
	}
	var me *micro.Error
	return !judged && errors.As(err, &me) && me.StatusCode() == 415 // a Content-Type the oracle cannot read, refused: fine
}

// fuzzCheckFraming checks what the model decides from the framing (the
// limit, a short or lying body): the bytes read and, when the model says
// the read fails, the error and its replay. It returns the model and
// whether the framing decided the input; if not, the model's data is the
// body.
func fuzzCheckFraming(t *testing.T, in fuzzInput, r *http.Request, src *testkit.CountingReader, err error) (fuzzWant, bool) {
	t.Helper()
	w := fuzzModel(in)
	fuzzCheckReads(t, src, w)
	if w.status != 0 {
		fuzzCheckError(t, err, w, w.status, "Invalid body")
		fuzzCheckReplay(t, r, w)
		return w, true
	}
	return w, false
}

// fuzzCheckReads checks the bound on the bytes taken from the client.
func fuzzCheckReads(t *testing.T, src *testkit.CountingReader, want fuzzWant) {
	t.Helper()
	if src.N() > want.maxReads {
		t.Fatalf("read %d bytes of the body, at most %d allowed", src.N(), want.maxReads)
	}
}

// fuzzCheckReplay checks the read-once rule: a later Buffer on the same
// request gets the same bytes, or an error with the same status.
func fuzzCheckReplay(t *testing.T, r *http.Request, want fuzzWant) {
	t.Helper()
	b, err := micro.Buffer(r)
	var me *micro.Error
	switch {
	case want.status == 0 && (err != nil || !bytes.Equal(b, want.data)):
		t.Fatalf("second Buffer = %q, %v; want %q", b, err, want.data)
	case want.status != 0 && (!errors.As(err, &me) || me.StatusCode() != want.status):
		t.Fatalf("second Buffer error %v, want status %d", err, want.status)
	}
}

// fuzzMediaType parses ct as the oracle, mime.ParseMediaType, does; judged
// is false when that parser refuses ct, or when ct holds what it reads
// otherwise than HTTP (whitespace HTTP does not allow, a backslash), whose
// verdict is then left open.
func fuzzMediaType(ct string) (mt, charset string, hasCharset, judged bool) {
	if ct == "" {
		return "", "", false, true
	}
	// mime.ParseMediaType trims every Unicode space (CR, VT, U+00A0…)
	// where HTTP's optional whitespace is spaces and tabs only: on such a
	// value the oracle cannot speak for HTTP.
	if strings.ContainsFunc(ct, func(r rune) bool { return unicode.IsSpace(r) && r != ' ' && r != '\t' }) {
		return "", "", false, false
	}
	// It also keeps the backslash of a quoted-pair whose octet is no
	// tspecial ("U\TF8" stays so), where RFC 9110 reads the octet alone
	// ("UTF8"), as the helpers do.
	if strings.Contains(ct, `\`) {
		return "", "", false, false
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", "", false, false
	}
	charset, hasCharset = params["charset"]
	return mt, charset, hasCharset, true
}

// fuzzIsUTF8Name reports whether cs names UTF-8, as JSON's rules accept.
func fuzzIsUTF8Name(cs string) bool {
	return strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "utf8")
}

// fuzzBodySeeds are the seeds every body target starts from: body,
// Content-Type, limit (0xFFFF: none), framing, lie.
func fuzzBodySeeds(f *testing.F) {
	for _, s := range []struct {
		body    string
		ctype   string
		limit   uint16
		framing uint8
		lie     int8
	}{
		{`{"name":"a","n":1}`, "application/json", 64, 0, 0},
		{`{"name":"a","n":1}`, "application/json; charset=UTF-8", 18, 0, 0}, // exactly the limit
		{`{"name":"a","n":1}`, "", 17, 0, 0},                                // one byte over, declared
		{`{"name":"a","n":1}`, "", 17, 1, 0},                                // one byte over, chunked
		{`[1,2,3]`, "application/problem+json", 0xFFFF, 2, 5},               // MaxBytesReader below the limit
		{fuzzBOM + `"x"`, "application/json", 100, 1, 0},
		{fuzzBOM + fuzzBOM + `"x"`, "", 100, 1, 0},
		{" \t\r\n", "application/json", 100, 0, 0},
		{"", "", 0, 0, 0},
		{"", "", 100, 0, 3},   // Content-Length 3, no bytes: truncated
		{"{}", "", 10, 0, -1}, // Content-Length shorter than the bytes sent
		{`{"a":1} x`, "application/json", 100, 0, 0},
		{`{"name":5}`, "text/json", 100, 0, 0},
		{`{}`, "application/json; charset=latin1", 100, 0, 0},
		{`{}`, `application/json; charset="utf8"`, 100, 0, 0},
		{`{}`, "application/+json", 100, 0, 0},
		{"caf\xc3\xa9", "text/plain; charset=us-ascii", 100, 1, 0},
		{"\xff\xfe", "text/plain", 100, 1, 0},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), "", 0xFFFF, 1, 0},
	} {
		f.Add([]byte(s.body), s.ctype, s.limit, s.framing, s.lie)
	}
}

// fuzzDoc is a typed JSON target, recursive so that nesting is exercised.
type fuzzDoc struct {
	Name string            `json:"name"`
	N    int               `json:"n"`
	F    float64           `json:"f"`
	Tags []string          `json:"tags"`
	Meta map[string]any    `json:"meta"`
	Sub  *fuzzDoc          `json:"sub"`
	Raw  json.RawMessage   `json:"raw"`
	Nums map[string]uint16 `json:"nums"`
}

// FuzzJSON checks micro.JSON against encoding/json.Unmarshal on the bytes
// the model says it gets: Content-Type refused (415) exactly when
// mime.ParseMediaType says the type is not JSON or the charset not UTF-8;
// 413 over the limit (before any read when declared); 400 "Invalid body"
// for a truncated body; otherwise an error exactly when encoding/json
// fails on the body without its BOM, and then the same value (compared
// with cmp) into any and into a struct. The body is never read past the
// limit plus one byte.
func FuzzJSON(f *testing.F) {
	fuzzBodies(f, func(t *testing.T, in fuzzInput) {
		for _, typed := range []bool{false, true} {
			r, src := fuzzRequest(in)
			var (
				got, want any
				err       error
			)
			if typed {
				var v fuzzDoc
				v, err = micro.JSON[fuzzDoc](r, fuzzOptions(in)...)
				got = v
			} else {
				got, err = micro.JSON[any](r, fuzzOptions(in)...)
			}

			mt, cs, hasCS, judged := fuzzMediaType(in.ctype)
			_, sub, _ := strings.Cut(mt, "/")
			isJSON := mt == "" || mt == "application/json" || len(sub) > len("+json") && strings.HasSuffix(sub, "+json")
			if fuzzCheckRefused(t, err, src, judged, !isJSON || hasCS && !fuzzIsUTF8Name(cs), "Unsupported ") {
				continue
			}
			w, done := fuzzCheckFraming(t, in, r, src, err)
			if done {
				continue
			}
			data := bytes.TrimPrefix(w.data, []byte(fuzzBOM))
			var oerr error
			if typed {
				var v fuzzDoc
				oerr = json.Unmarshal(data, &v)
				want = v
			} else {
				var v any
				oerr = json.Unmarshal(data, &v)
				want = v
			}
			if (err != nil) != (oerr != nil) {
				t.Fatalf("JSON(%q) error %v, encoding/json error %v", w.data, err, oerr)
			}
			if err != nil {
				fuzzCheckError(t, err, w, 400, "Invalid JSON")
				if zero := map[bool]any{false: nil, true: fuzzDoc{}}[typed]; !reflect.DeepEqual(got, zero) {
					t.Fatalf("JSON returned %+v with an error, want the zero value", got)
				}
			} else if !reflect.DeepEqual(want, got) { // cmp.Diff is exponential in the nesting: only to report
				t.Fatalf("JSON(%q) differs from encoding/json (-want +got):\n%s", w.data, cmp.Diff(want, got))
			}
			fuzzCheckReplay(t, r, w)
		}
	})
}

// FuzzText checks micro.Text: 415 exactly when mime.ParseMediaType finds a
// charset other than UTF-8 or US-ASCII; the model's 413 and 400 for the
// framing; else exactly the bytes after one BOM when they are valid
// UTF-8, and 400 "Invalid body" when not.
func FuzzText(f *testing.F) {
	fuzzBodies(f, func(t *testing.T, in fuzzInput) {
		r, src := fuzzRequest(in)
		got, err := micro.Text(r, fuzzOptions(in)...)

		_, cs, hasCS, judged := fuzzMediaType(in.ctype)
		if fuzzCheckRefused(t, err, src, judged, hasCS && !fuzzIsUTF8Name(cs) && !strings.EqualFold(cs, "us-ascii"), "Unsupported charset") {
			return
		}
		w, done := fuzzCheckFraming(t, in, r, src, err)
		if done {
			return
		}
		data := bytes.TrimPrefix(w.data, []byte(fuzzBOM))
		if !utf8.Valid(data) {
			fuzzCheckError(t, err, w, 400, "Invalid body")
			return
		}
		if err != nil || got != string(data) {
			t.Fatalf("Text = %q, %v; want %q", got, err, data)
		}
		fuzzCheckReplay(t, r, w)
	})
}

// FuzzBuffer checks micro.Buffer: whatever the Content-Type, the model's
// 413 and 400 for the framing, else exactly the bytes sent, BOM included.
func FuzzBuffer(f *testing.F) {
	fuzzBodies(f, func(t *testing.T, in fuzzInput) {
		r, src := fuzzRequest(in)
		got, err := micro.Buffer(r, fuzzOptions(in)...)
		w, done := fuzzCheckFraming(t, in, r, src, err)
		if done {
			return
		}
		if err != nil || !bytes.Equal(got, w.data) {
			t.Fatalf("Buffer = %q, %v; want %q", got, err, w.data)
		}
		fuzzCheckReplay(t, r, w)
	})
}

// fuzzCodings are the Content-Encoding values FuzzContentEncoding sends.
var fuzzCodings = []string{"gzip", "x-gzip", "deflate", "GZip", "Deflate"}

// fuzzInflate is the reference decoder: compress/gzip (multistream, as
// gzip files are) or compress/zlib, read to the end with io.ReadAll; a
// byte left after the zlib stream is an error, as one after a gzip member
// that does not start another is. It returns what came out before any
// error, and the error.
func fuzzInflate(wire []byte, coding string) ([]byte, error) {
	src := bytes.NewReader(wire)
	if !strings.EqualFold(coding, "deflate") {
		dec, err := gzip.NewReader(src)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(dec)
	}
	dec, err := zlib.NewReader(src)
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(dec)
	if err == nil && src.Len() > 0 {
		err = errors.New("data after the zlib stream")
	}
	return out, err
}

// fuzzCompress returns body compressed with coding, the last cut bytes
// removed (modulo its length plus one).
func fuzzCompress(body []byte, coding string, cut uint16) []byte {
	wire := compressed(body, coding)
	return wire[:len(wire)-int(cut)%(len(wire)+1)]
}

// FuzzContentEncoding checks the inflating of gzip and deflate bodies by
// micro.Buffer against fuzzInflate on the same compressed bytes (the
// fuzzed body compressed and maybe truncated, or the fuzzed body itself
// when raw): 413 exactly when the reference inflates more than the limit;
// else 400 "Invalid body" exactly when the reference fails; else exactly
// the reference's bytes. A declared length over the wire bound (twice the
// limit plus 64 KiB) is 413 unread, and no more than the bound plus one
// compressed byte is ever taken from the client.
func FuzzContentEncoding(f *testing.F) {
	doc := []byte(`{"name":"a","n":1}`)
	gz, zl := fuzzCompress(doc, "gzip", 0), fuzzCompress(doc, "deflate", 0)
	for _, s := range []struct {
		body    []byte
		coding  uint8
		raw     bool
		cut     uint16
		limit   uint16
		chunked bool
	}{
		{doc, 0, false, 0, 0xFFFF, false},
		{doc, 2, false, 0, 18, true},                 // exactly the limit, inflated
		{doc, 1, false, 0, 17, false},                // one byte over, inflated
		{doc, 3, false, 4, 100, true},                // truncated in the trailer
		{doc, 4, false, 30, 100, false},              // truncated in the data
		{make([]byte, 5000), 0, false, 0, 100, true}, // a small bomb
		{nil, 0, false, 0, 0, false},                 // empty content, compressed
		{nil, 0, true, 0, 100, true},                 // no bytes at all
		{doc, 0, true, 0, 100, false},                // plain JSON labelled gzip
		{append(bytes.Clone(gz), gz...), 0, true, 0, 100, true},
		{append(bytes.Clone(gz), 0), 1, true, 0, 100, false}, // trailing garbage
		{zl, 2, true, 0, 100, true},
		{append(bytes.Clone(zl), 0), 2, true, 0, 100, false}, // trailing byte after zlib
		{append(bytes.Clone(zl), zl...), 4, true, 0, 100, true},
		{gz, 2, true, 0, 100, false}, // gzip labelled deflate
		{zl, 0, true, 0, 100, false}, // zlib labelled gzip
	} {
		f.Add(s.body, s.coding, s.raw, s.cut, s.limit, s.chunked)
	}
	f.Fuzz(func(t *testing.T, body []byte, coding uint8, raw bool, cut uint16, limit uint16, chunked bool) {
		in := fuzzInputOf(nil, "", limit, 0, 0)
		name := fuzzCodings[int(coding)%len(fuzzCodings)]
		wire := body
		if !raw {
			wire = fuzzCompress(body, name, cut)
		}
		lim := in.limit
		if lim < 0 {
			lim = micro.DefaultLimit
		}
		wireLim := 2*lim + 64<<10

		src := &testkit.CountingReader{R: bytes.NewReader(wire)}
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Content-Encoding", name)
		switch {
		case chunked:
			r.ContentLength, r.Body = -1, io.NopCloser(iotest.OneByteReader(src))
		case len(wire) == 0:
			r.ContentLength, r.Body = 0, http.NoBody
		default:
			r.ContentLength, r.Body = int64(len(wire)), io.NopCloser(src)
		}
		got, err := micro.Buffer(r, fuzzOptions(in)...)

		if src.N() > int(wireLim)+1 {
			t.Fatalf("read %d compressed bytes, at most %d allowed", src.N(), wireLim+1)
		}
		var want fuzzWant
		ref, rerr := fuzzInflate(wire, name)
		switch {
		case !chunked && len(wire) == 0:
			want.data = []byte{} // no body: nothing to inflate
		case int64(len(wire)) > wireLim:
			if fuzzStatus(err) != 413 || !chunked && src.N() != 0 {
				t.Fatalf("%d compressed bytes over the bound %d: %v after reading %d", len(wire), wireLim, err, src.N())
			}
			return
		case int64(len(ref)) > lim:
			want = fuzzWant{status: 413, detail: "Body exceeded " + strconv.FormatInt(lim, 10) + " byte limit"}
		case rerr != nil:
			want.status = 400
		default:
			want.data = ref
		}
		if want.status != 0 {
			fuzzCheckError(t, err, want, want.status, "Invalid body: not valid ")
		} else if err != nil || !bytes.Equal(got, want.data) {
			t.Fatalf("Buffer = %q, %v; want %q", got, err, want.data)
		}
		if len(wire) > 0 || chunked {
			fuzzCheckReplay(t, r, want)
		}
	})
}

// fuzzStatus returns the status of a *micro.Error, or 0.
func fuzzStatus(err error) int {
	var me *micro.Error
	if !errors.As(err, &me) {
		return 0
	}
	return me.StatusCode()
}
