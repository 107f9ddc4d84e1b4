package micro

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/microkit-go/micro/internal/response"
	"github.com/microkit-go/micro/internal/state"
)

// DefaultLimit is the body limit of [JSON], [Text] and [Buffer] when
// neither [Limit] nor the chain sets one: 1 MiB (1,048,576 bytes), as in
// Micro and Next.js. A body of exactly the limit is accepted.
//
// The limit of a helper, in one place: an explicit [Limit] wins; else the
// n of middleware.BodyLimit in the request's chain (the smallest, if there
// are several; middleware.Default sets it from its BodyLimit), so a server
// owner sets one number; else DefaultLimit. It counts the bytes the helper
// decodes: for a gzip or deflate body, the inflated bytes. BodyLimit also
// cuts the bytes on the wire at its n, whatever Limit says.
const DefaultLimit = 1 << 20

// BodyOption configures [JSON], [Text], [Buffer] and [Form]: [Limit] all
// four, [AllowEmpty] only JSON and [MaxFields] only Form (the others
// ignore them).
type BodyOption func(*bodyOptions)

type bodyOptions struct {
	limit      int64
	set        bool // Limit was given
	allowEmpty bool // AllowEmpty was given
	maxFields  int  // of MaxFields; 0: not given
}

// newBodyOptions applies opts in order.
func newBodyOptions(opts []BodyOption) *bodyOptions {
	o := new(bodyOptions) // escapes to the options: allocated only when there are some
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// Limit sets the largest body accepted, in bytes, in place of the chain's
// or [DefaultLimit]; a body of exactly that size is accepted, one byte
// more is 413. Limit(0) accepts only an empty body. A negative limit
// panics: it is a programming error (inside a [Handler], the panic becomes
// a logged 500).
func Limit(bytes int64) BodyOption {
	if bytes < 0 {
		panic("micro: Limit must not be negative")
	}
	return func(o *bodyOptions) { o.limit, o.set = bytes, true }
}

// AllowEmpty makes [JSON] decode an empty body as the zero T, with a nil
// error, as Next.js parses an empty JSON body as {}; without it an empty
// body is 400. Empty means no bytes after a UTF-8 byte order mark, a
// request without a body included; a body of only whitespace is not empty
// and is still 400 "Invalid JSON", as JSON.parse refuses it. It changes
// nothing else: a Content-Type, encoding or limit [JSON] refuses is refused
// whatever the body. [Text] and [Buffer] ignore it. AllowEmpty cannot be
// misused: it has no argument.
func AllowEmpty() BodyOption {
	return func(o *bodyOptions) { o.allowEmpty = true }
}

// Text reads the request body as a UTF-8 string (Micro's text(req)), with
// the limit, content codings and read-once rule of [JSON]. Any Content-Type
// is accepted, but a charset other than UTF-8 or US-ASCII is 415, and a
// body that is not valid UTF-8 is 400 "Invalid body". A UTF-8 byte order
// mark is skipped. A request without a body gives "".
func Text(r *http.Request, opts ...BodyOption) (string, error) {
	if cs, ok := charset(r.Header.Get("Content-Type")); ok && !isUTF8(cs) && !strings.EqualFold(cs, "us-ascii") {
		return "", Errorf(http.StatusUnsupportedMediaType,
			"Unsupported charset %.64q: expected utf-8", cs)
	}
	b, err := readBody(r, opts)
	if err != nil {
		return "", err
	}
	b = trimBOM(b)
	if !utf8.Valid(b) {
		return "", Errorf(http.StatusBadRequest, "Invalid body: not valid UTF-8")
	}
	return string(b), nil
}

// Buffer reads the raw request body (Micro's buffer(req)), with the limit,
// content codings and read-once rule of [JSON]; any Content-Type is
// accepted and no charset is applied. A request without a body gives an
// empty slice. The slice is shared with later calls on the same request and
// must not be modified.
func Buffer(r *http.Request, opts ...BodyOption) ([]byte, error) {
	return readBody(r, opts)
}

// trimBOM drops a leading UTF-8 byte order mark.
func trimBOM(b []byte) []byte {
	return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
}

// bodyLimit is the limit of a helper called on r with opts, chosen as
// [DefaultLimit] says.
func bodyLimit(r *http.Request, opts []BodyOption) int64 {
	if len(opts) > 0 {
		if o := newBodyOptions(opts); o.set {
			return o.limit
		}
	}
	if s := state.From(r.Context()); s != nil && s.Data.BodyLimit > 0 {
		return s.Data.BodyLimit
	}
	return DefaultLimit
}

// readBody reads r's body once, within the limit, inflating it as its
// Content-Encoding says, and keeps the result in r.Body (a [readOnce]) so
// that later calls, and later readers of r.Body, get the same bytes. A
// body [Multipart] read is a 400, and stays in r.Body.
func readBody(r *http.Request, opts []BodyOption) ([]byte, error) {
	limit := bodyLimit(r, opts)
	if b, ok := r.Body.(*readOnce); ok {
		return b.result(limit)
	}
	if _, ok := r.Body.(*multipartBody); ok {
		// Left in place: Multipart returns its form again, and Handler
		// finds the form's temporary files to remove.
		return nil, bodyError(errMultipartRead, limit)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil // nothing to decode, whatever Content-Encoding says
	}
	coding, err := contentCoding(r.Header.Values("Content-Encoding"))
	if err != nil {
		return nil, err
	}
	var data []byte
	switch {
	case coding != "":
		data, err = readDecoded(r.Body, r.ContentLength, coding, limit)
		if err == nil {
			// r now describes what r.Body replays, as http.Transport
			// leaves a response it inflated: code that forwards r or
			// decodes r.Body itself must not see the coding again. The
			// header map is shared with the requests of the middlewares
			// before (one, after a Timeout, in another goroutine): r
			// gets its own.
			r.Header = r.Header.Clone()
			r.Header.Del("Content-Encoding")
			r.Header.Del("Content-Length")
			r.ContentLength = int64(len(data))
		}
	case r.ContentLength > limit:
		err = tooLarge(limit)
	default:
		data, err = readLimited(r.Body, r.ContentLength, limit)
		err = bodyError(err, limit)
	}
	r.Body = &readOnce{body: r.Body, data: data, err: err}
	return data, err
}

// maxPrealloc bounds the buffer allocated on the word of a Content-Length
// header alone: a client that declares a large body must send it before
// more memory is spent on it.
const maxPrealloc = 1 << 20

// readLimited reads body to EOF, failing with errTooLarge as soon as it has
// more than limit bytes. A known length sizes the buffer in one allocation.
func readLimited(body io.Reader, length, limit int64) ([]byte, error) {
	most := limit // the most bytes read: limit+1 shows the body is over it
	if most < math.MaxInt64 {
		most++
	}
	size := int64(512)
	if length >= 0 {
		size = length + 1 // room to see EOF without growing
	}
	buf := make([]byte, 0, min(size, most, maxPrealloc))
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		end := min(int64(cap(buf)), most)
		n, err := body.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

var errTooLarge = errors.New("micro: body over the limit")

// bodyError maps a read error to the [*Error] a route returns.
func bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case err == errTooLarge:
		return tooLarge(limit)
	case errors.As(err, &mbe): // an http.MaxBytesReader earlier in the chain
		return tooLarge(min(mbe.Limit, limit))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return Errorf(http.StatusRequestTimeout, "Invalid body: it did not arrive in time").Wrap(err)
	default:
		return Errorf(http.StatusBadRequest, "Invalid body: the request body could not be read").Wrap(err)
	}
}

func tooLarge(limit int64) *Error {
	return &Error{status: http.StatusRequestEntityTooLarge, msg: response.BodyTooLarge(limit)}
}

// readOnce replaces a request body once it has been read: it replays the
// bytes to later readers and keeps the outcome for later body helpers.
type readOnce struct {
	body io.ReadCloser // the original body, closed by Close
	data []byte
	err  error
	off  int
}

func (b *readOnce) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

func (b *readOnce) Close() error { return b.body.Close() }

// result is what a later body helper with this limit gets.
func (b *readOnce) result(limit int64) ([]byte, error) {
	if b.err == nil && int64(len(b.data)) > limit {
		return nil, tooLarge(limit)
	}
	return b.data, b.err
}
