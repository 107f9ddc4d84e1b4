package micro_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

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
