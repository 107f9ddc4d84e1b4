package micro

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/microkit-go/micro/internal/httpsyntax"
	"github.com/microkit-go/micro/internal/state"
)

// The defaults of [Multipart]'s bounds, each set by the option of the
// same name.
const (
	DefaultMaxParts           = 1000     // net/http's own (GODEBUG multipartmaxparts)
	DefaultMaxFiles           = 10       // file parts
	DefaultMaxFileBytes       = 10 << 20 // 10 MiB per file
	DefaultMaxMultipartBytes  = 32 << 20 // 32 MiB for the whole body
	DefaultMaxValueBytes      = 64 << 10 // 64 KiB per value that is not a file
	DefaultMaxPartHeaderBytes = 8 << 10  // 8 KiB of header per part
	DefaultMaxPartHeaders     = 16       // header fields per part
	DefaultMaxMemory          = 1 << 20  // 1 MiB of files kept in memory
)

// MultipartOption configures [Multipart]. Each option panics on a negative
// bound: it is a programming error (inside a [Handler], the panic becomes
// a logged 500). A bound of 0 accepts none of what it counts.
type MultipartOption func(*multipartOptions)

type multipartOptions struct {
	maxParts, maxFiles, maxHeaders                     int
	maxFileBytes, maxBytes, maxValueBytes, maxHeaderBy int64
	maxMemory                                          int64
	tempDir                                            string
}

// bound returns the option setting the field of an option to n, a
// bound, after checking that n is not negative.
func bound[T int | int64](name string, n T, field func(*multipartOptions) *T) MultipartOption {
	if n < 0 {
		panic("micro: " + name + " must not be negative")
	}
	return func(o *multipartOptions) { *field(o) = n }
}

// MaxParts sets the most parts [Multipart] reads, files and values
// together, parts without a form name included; one more is 413.
func MaxParts(n int) MultipartOption {
	return bound("MaxParts", n, func(o *multipartOptions) *int { return &o.maxParts })
}

// MaxFiles sets the most file parts (parts with a filename) [Multipart]
// accepts; one more is 413.
func MaxFiles(n int) MultipartOption {
	return bound("MaxFiles", n, func(o *multipartOptions) *int { return &o.maxFiles })
}

// MaxFileBytes sets the largest file [Multipart] accepts, in bytes; a file
// of one byte more is 413.
func MaxFileBytes(n int64) MultipartOption {
	return bound("MaxFileBytes", n, func(o *multipartOptions) *int64 { return &o.maxFileBytes })
}

// MaxMultipartBytes sets the largest multipart body [Multipart] reads, in
// bytes on the wire, boundaries, part headers, preamble and epilogue
// included; one byte more is 413. The chain's middleware.BodyLimit, when lower, is the bound.
func MaxMultipartBytes(n int64) MultipartOption {
	return bound("MaxMultipartBytes", n, func(o *multipartOptions) *int64 { return &o.maxBytes })
}

// MaxValueBytes sets the largest value of a part that is not a file, in
// bytes; one byte more is 413.
func MaxValueBytes(n int64) MultipartOption {
	return bound("MaxValueBytes", n, func(o *multipartOptions) *int64 { return &o.maxValueBytes })
}

// MaxPartHeaderBytes sets the most bytes of header a part may have, its
// field names and values with ": " and CRLF; more is 413. The reader stops
// a part's header after at most that plus 4 KiB of buffering, however long
// the line.
func MaxPartHeaderBytes(n int64) MultipartOption {
	return bound("MaxPartHeaderBytes", n, func(o *multipartOptions) *int64 { return &o.maxHeaderBy })
}

// MaxPartHeaders sets the most header fields a part may have; more is 413.
func MaxPartHeaders(n int) MultipartOption {
	return bound("MaxPartHeaders", n, func(o *multipartOptions) *int { return &o.maxHeaders })
}

// MaxMemory sets how many bytes of files [Multipart] keeps in memory, for
// the whole form: a file that would take it over is written to a temporary
// file instead. MaxMemory(0) writes every file with a byte to disk.
func MaxMemory(n int64) MultipartOption {
	return bound("MaxMemory", n, func(o *multipartOptions) *int64 { return &o.maxMemory })
}

// TempDir sets the directory of the temporary files of [Multipart]; "" (the
// default) is os.TempDir(). A directory where files cannot be created makes
// a form that needs one fail with a 500 whose cause is logged.
func TempDir(dir string) MultipartOption {
	return func(o *multipartOptions) { o.tempDir = dir }
}

// MultipartForm is a parsed multipart/form-data body, shaped as the
// standard library's multipart.Form: values by name, and files by name.
// Call [MultipartForm.RemoveAll] when done with it, unless [Handler] does
// (see [Multipart]).
type MultipartForm struct {
	Value map[string][]string
	File  map[string][]*FileHeader
}

// FileHeader is a file part of a [MultipartForm], as multipart.FileHeader
// describes one: its filename (the last element of the client's after a
// '/', as multipart.Part.FileName gives it; still the client's word, not a
// safe path: it may hold backslashes, control characters or invalid UTF-8, so
// choose the stored name yourself and escape this one wherever it is
// shown), its part header and its size in bytes. Open reads its content.
type FileHeader struct {
	Filename string
	Header   textproto.MIMEHeader
	Size     int64

	content []byte // in memory, or
	tmpfile string // on disk
}

// Open returns the file's content, from memory or from its temporary file;
// after [MultipartForm.RemoveAll], a file on disk is an error of os.Open.
func (fh *FileHeader) Open() (multipart.File, error) {
	if fh.tmpfile != "" {
		return os.Open(fh.tmpfile)
	}
	return memFile{bytes.NewReader(fh.content)}, nil
}

// memFile is the multipart.File of content kept in memory.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// RemoveAll removes the temporary files of f and returns the first error
// removing one (a file already gone is none). It may be called more than
// once, and on a nil f.
func (f *MultipartForm) RemoveAll() error {
	if f == nil {
		return nil
	}
	var first error
	for _, fhs := range f.File {
		for _, fh := range fhs {
			if fh.tmpfile == "" {
				continue
			}
			if err := os.Remove(fh.tmpfile); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
				first = err
			}
		}
	}
	return first
}

// Multipart reads a multipart/form-data request body, what an HTML form
// with enctype="multipart/form-data" posts (Next.js's request.formData()
// for such a body; echo's MultipartForm), as it streams in through
// mime/multipart.Reader, within bounds set by [MultipartOption]s; each
// default is a Default constant of the same name (DefaultMaxParts, …). A
// file is kept in memory while the form's files fit in [MaxMemory], and
// written to a temporary file in [TempDir] otherwise. Form names and
// values must be valid UTF-8, as for [Form], and a value's part may name no
// other charset; a part without a form name
// counts against [MaxParts] and is skipped.
//
// The body is read once: a second call on r returns the same form or
// error, and the body cannot then be read by [JSON], [Text] or [Buffer]
// (400). The query is not merged in; r.MultipartForm is left as it is.
//
// Temporary files are removed when Multipart returns an error (a client
// that stops mid-body included). After success, when r is the request a
// [Handler] passed to its function, the Handler removes them once the
// response is written, even if the function panics. Anywhere else, a
// plain http.Handler or a request the route cloned, call
// [MultipartForm.RemoveAll] yourself: defer form.RemoveAll().
//
// Errors are all [*Error], so a route can return them as they are:
//
//   - 415: a Content-Type other than multipart/form-data (none included),
//     any Content-Encoding but identity, or a value whose part names a
//     charset other than UTF-8 or US-ASCII;
//   - 413: a bound passed, named in the message ("Multipart body has more
//     than 1000 parts (MaxParts)"), or the chain's body limit ("Body
//     exceeded N byte limit"); a declared Content-Length over the body
//     bound is refused unread;
//   - 400 "Invalid multipart body": a missing, repeated or invalid
//     boundary, a malformed part header, a truncated body, a form name or
//     value that is not valid UTF-8, or a body that could not be read; 408
//     when it does not arrive before the server's read deadline;
//   - a 500, whose cause is logged, when a temporary file cannot be written.
func Multipart(r *http.Request, opts ...MultipartOption) (*MultipartForm, error) {
	if b, ok := r.Body.(*multipartBody); ok {
		return b.form, b.err
	}
	o := multipartOptions{
		maxParts: DefaultMaxParts, maxFiles: DefaultMaxFiles, maxHeaders: DefaultMaxPartHeaders,
		maxFileBytes: DefaultMaxFileBytes, maxBytes: DefaultMaxMultipartBytes,
		maxValueBytes: DefaultMaxValueBytes, maxHeaderBy: DefaultMaxPartHeaderBytes,
		maxMemory: DefaultMaxMemory,
	}
	for _, opt := range opts {
		opt(&o)
	}
	boundary, err := multipartBoundary(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if coding, err := contentCoding(r.Header.Values("Content-Encoding")); err != nil {
		return nil, err
	} else if coding != "" {
		return nil, Errorf(http.StatusUnsupportedMediaType,
			"Unsupported Content-Encoding %.64q: a multipart body must not be compressed", coding).
			WithHeader("Accept-Encoding", "identity")
	}
	limit, tooBig := o.maxBytes, Errorf(http.StatusRequestEntityTooLarge,
		"Multipart body exceeded %d bytes (MaxMultipartBytes)", o.maxBytes)
	if s := state.From(r.Context()); s != nil && s.Data.BodyLimit > 0 && s.Data.BodyLimit < limit {
		limit, tooBig = s.Data.BodyLimit, tooLarge(s.Data.BodyLimit)
	}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	var form *MultipartForm
	if r.ContentLength > limit {
		err = tooBig
	} else {
		form, err = readMultipart(body, boundary, &o, limit, tooBig)
	}
	r.Body = &multipartBody{body: body, form: form, err: err}
	return form, err
}

// multipartBoundary returns the boundary of a multipart/form-data
// Content-Type: a 415 [*Error] for another type, a 400 one for a missing,
// repeated or invalid boundary (RFC 2046 section 5.1.1: 1 to 70
// characters of bchars, not ending in a space).
func multipartBoundary(ct string) (string, error) {
	mt, params := httpsyntax.CutMediaType(ct)
	if !strings.EqualFold(mt, "multipart/form-data") {
		return "", Errorf(http.StatusUnsupportedMediaType,
			"Unsupported Content-Type %.100q: expected multipart/form-data", ct)
	}
	v, ok := httpsyntax.Param(params, "boundary")
	if ok && boundaries(params) > 1 {
		// An error (RFC 6838 section 4.3) that parsers may read
		// differently: mime.ParseMediaType refuses it.
		return "", Errorf(http.StatusBadRequest, "Invalid multipart body: the Content-Type has more than one boundary")
	}
	b := httpsyntax.Unquote(v)
	if !ok || !validBoundary(b) {
		return "", Errorf(http.StatusBadRequest,
			"Invalid multipart body: the Content-Type needs a boundary of 1 to 70 characters, not %.80q", b)
	}
	return b, nil
}

// boundaries counts the boundary parameters in params.
func boundaries(params string) int {
	n := 0
	for params != "" {
		var name string
		name, _, params = httpsyntax.NextParam(params)
		if strings.EqualFold(name, "boundary") {
			n++
		}
	}
	return n
}

func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > 70 || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			strings.IndexByte("'()+_,-./:=? ", c) >= 0) {
			return false
		}
	}
	return true
}

// multipartBody replaces a request body read by [Multipart]: it keeps the
// outcome for a later call, and refuses to be read again.
type multipartBody struct {
	body io.ReadCloser
	form *MultipartForm
	err  error
}

var errMultipartRead = errors.New("micro: the body was read by Multipart")

func (b *multipartBody) Read([]byte) (int, error) { return 0, errMultipartRead }
func (b *multipartBody) Close() error             { return b.body.Close() }

// removeMultipart removes the temporary files of a form Multipart read
// from r's body, if it did.
func removeMultipart(r *http.Request) {
	if b, ok := r.Body.(*multipartBody); ok {
		_ = b.form.RemoveAll() // nothing to tell the client
	}
}

var (
	errMultipartTooLarge  = errors.New("micro: multipart body over its bound")
	errPartHeaderTooLarge = errors.New("micro: multipart part header over its bound")
)

// budgetReader reads at most limit bytes of r, then fails with err. The
// errors of r but io.EOF come out as *wireError, so that the client's
// read errors are told from a malformed body.
type budgetReader struct {
	r     io.Reader
	n     int64 // bytes read
	limit int64
	err   error
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n >= b.limit {
		return 0, b.err
	}
	n, err := b.r.Read(p[:min(int64(len(p)), b.limit-b.n)])
	b.n += int64(n)
	var we *wireError
	if err != nil && err != io.EOF && !errors.As(err, &we) && err != errMultipartTooLarge {
		err = &wireError{err}
	}
	return n, err
}

// readMultipart reads the parts of body into a form, within o's bounds
// and limit bytes (tooBig past it). On error it removes what it wrote.
func readMultipart(body io.Reader, boundary string, o *multipartOptions, limit int64, tooBig *Error) (_ *MultipartForm, err error) {
	// One byte more than the limit is read, to tell a body of exactly the
	// limit from a longer one.
	total := &budgetReader{r: body, limit: addSat(limit, 1), err: errMultipartTooLarge}
	head := &budgetReader{r: total, err: errPartHeaderTooLarge}
	mr := multipart.NewReader(head, boundary)
	form := &MultipartForm{Value: map[string][]string{}, File: map[string][]*FileHeader{}}
	defer func() {
		if err != nil {
			_ = form.RemoveAll() // the read error is the one to report
			err = multipartError(err, o, limit, tooBig)
		}
	}()
	memory := o.maxMemory
	files := 0
	for parts := 0; ; parts++ {
		// A part's header may take its bound, plus what the reader has
		// buffered ahead (4 KiB) and the boundary line.
		head.limit = addSat(head.n, addSat(o.maxHeaderBy, 4<<10+80))
		p, err := mr.NextPart()
		head.limit = math.MaxInt64
		if err == io.EOF {
			// The epilogue, after the closing boundary, counts too: it is
			// read, within the bound, so that a body over it is refused
			// however its bytes arrived.
			if _, err := io.Copy(io.Discard, total); err != nil {
				return nil, err
			}
			if total.n > limit {
				return nil, errMultipartTooLarge
			}
			return form, nil
		}
		if err != nil {
			return nil, err
		}
		if parts == o.maxParts {
			return nil, Errorf(http.StatusRequestEntityTooLarge,
				"Multipart body has more than %d parts (MaxParts)", o.maxParts)
		}
		if err := checkPartHeader(p.Header, o); err != nil {
			return nil, err
		}
		name := p.FormName()
		if !utf8.ValidString(name) {
			return nil, Errorf(http.StatusBadRequest, "Invalid multipart body: a field name is not valid UTF-8")
		}
		if name == "" {
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, err
			}
			continue
		}
		if p.FileName() == "" {
			v, err := readValue(p, name, o.maxValueBytes)
			if err != nil {
				return nil, err
			}
			form.Value[name] = append(form.Value[name], v)
			continue
		}
		if files == o.maxFiles {
			return nil, Errorf(http.StatusRequestEntityTooLarge,
				"Multipart body has more than %d files (MaxFiles)", o.maxFiles)
		}
		files++
		fh := &FileHeader{Filename: p.FileName(), Header: p.Header}
		form.File[name] = append(form.File[name], fh)
		if err := readFile(p, fh, o, &memory); err != nil {
			return nil, err
		}
	}
}

// checkPartHeader applies MaxPartHeaders and MaxPartHeaderBytes to h.
func checkPartHeader(h textproto.MIMEHeader, o *multipartOptions) error {
	fields, size := 0, int64(0)
	for k, vv := range h {
		for _, v := range vv {
			fields++
			size += int64(len(k) + len(": ") + len(v) + len("\r\n"))
		}
	}
	switch {
	case fields > o.maxHeaders:
		return Errorf(http.StatusRequestEntityTooLarge,
			"Multipart part has more than %d header fields (MaxPartHeaders)", o.maxHeaders)
	case size > o.maxHeaderBy:
		return errPartHeaderTooLarge
	}
	return nil
}

// readValue reads a part that is not a file, of at most max bytes.
// A charset other than UTF-8 (or US-ASCII, a subset) on its Content-Type
// (RFC 7578 section 4.4) is a 415, as it is for [Form]: its bytes would
// otherwise be read as UTF-8.
func readValue(p *multipart.Part, name string, max int64) (string, error) {
	if cs, ok := charset(p.Header.Get("Content-Type")); ok && !isUTF8(cs) && !strings.EqualFold(cs, "us-ascii") {
		return "", Errorf(http.StatusUnsupportedMediaType,
			"Unsupported charset %.64q: multipart value %.64q must be utf-8", cs, name)
	}
	b, err := io.ReadAll(io.LimitReader(p, addSat(max, 1)))
	switch {
	case err != nil:
		return "", err
	case int64(len(b)) > max:
		return "", Errorf(http.StatusRequestEntityTooLarge,
			"Multipart value %.64q exceeded %d bytes (MaxValueBytes)", name, max)
	case !utf8.Valid(b):
		return "", Errorf(http.StatusBadRequest, "Invalid multipart body: value %.64q is not valid UTF-8", name)
	}
	return string(b), nil
}

// readFile reads a file part into fh: in memory while *memory allows,
// then into a temporary file, at most o.maxFileBytes in all.
func readFile(p *multipart.Part, fh *FileHeader, o *multipartOptions, memory *int64) error {
	tooBig := func() error {
		return Errorf(http.StatusRequestEntityTooLarge,
			"Multipart file %.64q exceeded %d bytes (MaxFileBytes)", fh.Filename, o.maxFileBytes)
	}
	src := io.LimitReader(p, addSat(o.maxFileBytes, 1))
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(src, addSat(*memory, 1)))
	if err != nil {
		return err
	}
	switch {
	case n > o.maxFileBytes:
		return tooBig()
	case n <= *memory:
		*memory -= n
		fh.content, fh.Size = buf.Bytes(), n
		return nil
	}
	f, err := os.CreateTemp(o.tempDir, "micro-multipart-*")
	if err != nil {
		return &tempFileError{err}
	}
	fh.tmpfile = f.Name()
	size, err := io.Copy(f, io.MultiReader(&buf, src))
	if cerr := f.Close(); err == nil && cerr != nil {
		err = &tempFileError{cerr}
	}
	var we *os.PathError
	if errors.As(err, &we) {
		err = &tempFileError{err}
	}
	switch {
	case err != nil:
		return err
	case size > o.maxFileBytes:
		return tooBig()
	}
	fh.Size = size
	return nil
}

// tempFileError is a failure to write a temporary file: the server's, not
// the client's.
type tempFileError struct{ err error }

func (e *tempFileError) Error() string { return "micro: multipart temporary file: " + e.err.Error() }
func (e *tempFileError) Unwrap() error { return e.err }

// multipartError maps an error reading a multipart body to the error
// [Multipart] returns.
func multipartError(err error, o *multipartOptions, limit int64, tooBig *Error) error {
	var (
		e  *Error
		te *tempFileError
	)
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &te):
		return fmt.Errorf("reading a multipart body: %w", err) // a 500; the cause is logged
	case errors.Is(err, errMultipartTooLarge):
		return tooBig
	case errors.Is(err, errPartHeaderTooLarge), errors.Is(err, multipart.ErrMessageTooLarge):
		return Errorf(http.StatusRequestEntityTooLarge,
			"Multipart part header exceeded %d bytes (MaxPartHeaderBytes)", o.maxHeaderBy)
	}
	var we *wireError
	if errors.As(err, &we) { // the client's, not the parser's
		return bodyError(we.err, limit)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Errorf(http.StatusBadRequest, "Invalid multipart body: it ends before its closing boundary").Wrap(err)
	}
	// The parser's words on a malformed body.
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "multipart: "), "NextPart: ")
	return Errorf(http.StatusBadRequest, "Invalid multipart body: %.200s", msg).Wrap(err)
}

// addSat returns a+b for non-negative a and b, at most math.MaxInt64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
