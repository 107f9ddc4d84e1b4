package micro

import (
	"bufio"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// Content codings of request bodies (RFC 9110 section 8.4): what [JSON],
// [Text] and [Buffer] inflate, and the bounds that make a small compressed
// body unable to cost more than the limit.

// codingGzip and codingDeflate are the codings readBody inflates; "" is
// none (no Content-Encoding, or identity).
const (
	codingGzip    = "gzip"
	codingDeflate = "deflate"
)

// contentCoding returns the one content coding of a request's
// Content-Encoding field values: "" when there is none, codingGzip for
// gzip and x-gzip, codingDeflate for deflate, names compared without case.
// Empty list elements and identity are skipped. Any other coding, or more
// than one, is a 415 [*Error] naming the supported ones, with an
// Accept-Encoding header listing them (RFC 9110 section 15.5.16).
func contentCoding(values []string) (string, error) {
	coding := ""
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			c := httpsyntax.TrimOWS(elem)
			var name string
			switch {
			case c == "" || strings.EqualFold(c, "identity"):
				continue
			case strings.EqualFold(c, "gzip"), strings.EqualFold(c, "x-gzip"):
				name = codingGzip
			case strings.EqualFold(c, "deflate"):
				name = codingDeflate
			}
			if name == "" || coding != "" {
				return "", Errorf(http.StatusUnsupportedMediaType,
					"Unsupported Content-Encoding %.64q: expected one of gzip, x-gzip, deflate or identity",
					strings.Join(values, ", ")).WithHeader("Accept-Encoding", "gzip, deflate")
			}
			coding = name
		}
	}
	return coding, nil
}

// wireSlack is what a compressed body may take on the wire beyond twice
// the limit: room for the framing of any encoder (headers, stored blocks,
// flushes) on a small limit.
const wireSlack = 64 << 10

// wireLimit is the most bytes of a compressed body taken from the client
// when the inflated limit is limit: twice it plus wireSlack, at most
// math.MaxInt64-1. Inflated bytes can be fewer than compressed ones, so
// the limit alone cannot bound the wire; this bound stops a stream of
// empty deflate blocks or gzip members from being read forever.
func wireLimit(limit int64) int64 {
	if limit > (math.MaxInt64-1-wireSlack)/2 {
		return math.MaxInt64 - 1
	}
	return 2*limit + wireSlack
}

// readDecoded reads body, compressed with coding, and returns the inflated
// bytes, failing as soon as there are more than limit of them or the
// compressed bytes pass wireLimit(limit). length is the declared
// Content-Length, or -1; one over the wire bound is refused unread. The
// decompressor holds a fixed window (32 KiB) and reads through a 4 KiB
// buffer, whatever the body. Bytes after the end of a deflate (zlib)
// stream are invalid data, as they are after a gzip member.
func readDecoded(body io.Reader, length int64, coding string, limit int64) ([]byte, error) {
	wire := wireLimit(limit)
	if length > wire {
		return nil, compressedTooLarge(wire)
	}
	// A flate.Reader of our own, which the decompressors read without a
	// buffer of theirs, so that what follows the stream is left in it.
	src := bufio.NewReaderSize(&wireReader{r: body, left: wire + 1}, 4<<10)
	var (
		dec io.Reader
		err error
	)
	if coding == codingGzip {
		dec, err = gzip.NewReader(src) // multistream: reads to the body's end
	} else {
		dec, err = zlib.NewReader(src)
	}
	if err != nil {
		return nil, decodeError(err, coding, limit, wire)
	}
	data, err := readLimited(dec, -1, limit)
	if err == nil && coding == codingDeflate {
		if _, err = src.ReadByte(); err == nil {
			err = errTrailingData
		} else if err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		return nil, decodeError(err, coding, limit, wire)
	}
	return data, nil
}

var errTrailingData = errors.New("micro: data after the end of the deflate stream")

// decodeError maps an error reading a compressed body to the [*Error] a
// route returns: the client's read errors as [bodyError] maps them, the
// decompressor's (bad header, corrupt data, checksum, truncation) as 400.
func decodeError(err error, coding string, limit, wire int64) error {
	var we *wireError
	switch {
	case errors.Is(err, errWireTooLarge):
		return compressedTooLarge(wire)
	case err == errTooLarge:
		return tooLarge(limit)
	case errors.As(err, &we):
		return bodyError(we.err, limit)
	case coding == codingDeflate:
		return Errorf(http.StatusBadRequest, "Invalid body: not valid deflate data (zlib format)").Wrap(err)
	default:
		return Errorf(http.StatusBadRequest, "Invalid body: not valid gzip data").Wrap(err)
	}
}

func compressedTooLarge(wire int64) *Error {
	return Errorf(http.StatusRequestEntityTooLarge, "Compressed body exceeded %d byte limit", wire)
}

var errWireTooLarge = errors.New("micro: compressed body over the limit")

// wireReader is the client's side of a compressed body, as the
// decompressor reads it: it hands out at most left-1 bytes, failing with
// errWireTooLarge once it has taken left, and marks the client's read
// errors (io.EOF aside) as *wireError so they are told from corrupt data.
type wireReader struct {
	r    io.Reader
	left int64
}

func (w *wireReader) Read(p []byte) (int, error) {
	if w.left <= 0 {
		return 0, errWireTooLarge
	}
	n, err := w.r.Read(p[:min(int64(len(p)), w.left)])
	w.left -= int64(n)
	switch {
	case w.left == 0:
		return 0, errWireTooLarge
	case err != nil && err != io.EOF:
		return n, &wireError{err}
	}
	return n, err
}

// wireError is an error of the client's body under a compressed one.
type wireError struct{ err error }

func (e *wireError) Error() string { return e.err.Error() }
func (e *wireError) Unwrap() error { return e.err }
