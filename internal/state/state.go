// Package state holds the one per-request struct that crosses package
// boundaries through the request context: what the middlewares, micro.Handler
// and send.Error share without importing each other.
//
// A request carries at most one *State, attached by the first piece of code
// that needs it; everything after it reuses that struct, so a whole
// middleware chain clones the request at most once. The State, the context
// value that carries it, the recording [Writer] and the request's clone are
// one allocation.
package state

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"unsafe"
)

// State is the per-request data shared along the chain. Its fields are
// written and read by the goroutine serving the request; code that hands
// the request to another goroutine must not write them there.
type State struct {
	// Log is how the request's errors are logged, read by internal/report.
	Log Log

	// Data is what middlewares leave for the routes and later middlewares.
	Data Data

	// writer is the recording writer handed out by Wrap.
	writer Writer

	// body counts the request body bytes read, once CountBody was called.
	body countingBody

	// requestID backs the X-Request-ID header value of SetRequestID.
	requestID [1]string

	// etag and etagText back the ETag header value of the first SetETag.
	etag     [1]string
	etagText [ETagLen]byte

	// idText backs the string of the first ID given to SetNewRequestID
	// (all zero until then; hex digits are never zero), and ipText that of
	// the first IPv4 address, ip4, given to AddrText: each is written once,
	// so the strings that point into them never change.
	idText [32]byte
	ip4    [4]byte
	ipLen  uint8
	ipText [len("255.255.255.255")]byte
}

// Log is how a request's errors are logged.
type Log struct {
	// Logger is where errors are logged; nil means slog.Default().
	Logger *slog.Logger

	// Reporting is set by an access-log middleware that logs the 5xx cause
	// in its own line: send.Error and middleware.Recover then record the
	// cause in Cause instead of logging it separately.
	Reporting bool

	// Cause is the error behind a 5xx response: recorded by
	// internal/report, which logs it on its own line only when no access
	// log is Reporting.
	Cause error

	// Streamed is set once a stream (send.Stream) has sent its header, and
	// Items counts the items it sent: an observer reports a long stream
	// as one, with its items.
	Streamed bool
	Items    int64
}

// Data is the values middlewares leave for the routes and the middlewares
// after them. A middleware that needs per-request data adds one field here;
// Attach, the single clone and Timeout's copy-back then carry it with no
// other change.
type Data struct {
	// RequestID is the request's ID, set by middleware.RequestID.
	RequestID string

	// ClientIP is the client's address, set by middleware.ClientIP; the zero
	// Addr when that middleware is not in the chain.
	ClientIP netip.Addr

	// Cookies holds the request's cookies, parsed once by
	// middleware.Cookies; nil when that middleware is not in the chain.
	Cookies map[string]string

	// CookieKeys are the signed-cookie keys of middleware.Cookies: the
	// first signs, every one verifies.
	CookieKeys [][]byte

	// BodyLimit is the request body limit of middleware.BodyLimit (the
	// smallest, when the chain has several), which micro's body helpers
	// take as their default; 0 when that middleware is not in the chain.
	BodyLimit int64

	// Route is the pattern of the route that served the request, as its
	// router knows it ("GET /api/comments/{id}" for a ServeMux), recorded
	// by micro.Handler, middleware.SetRoute or middleware.Timeout; "" until
	// one of them saw a matched request.
	Route string

	// ETag is set by middleware.ETag: send's whole-body writers then give
	// a 200 to GET or HEAD a strong ETag and answer a matching
	// If-None-Match with 304.
	ETag bool
}

// ctx is the context value carrying a State, and the request clone that
// carries ctx: one allocation for the three.
type ctx struct {
	context.Context
	s   State
	req http.Request
}

type key struct{}

func (c *ctx) Value(k any) any {
	if _, ok := k.(key); ok {
		return &c.s
	}
	return c.Context.Value(k)
}

func (c *ctx) String() string { return "micro/state" }

// From returns the request's State, or nil when none is attached. When c
// is the context Attach made, as it is along a chain of our middlewares,
// that is one type check rather than a walk up the contexts.
func From(c context.Context) *State {
	if c, ok := c.(*ctx); ok {
		return &c.s
	}
	s, _ := c.Value(key{}).(*State)
	return s
}

// Attach returns r with a State attached and that State. When r already
// carries one, r itself is returned and no clone is made.
func Attach(r *http.Request) (*http.Request, *State) {
	if s := From(r.Context()); s != nil {
		return r, s
	}
	c := &ctx{Context: r.Context()}
	// WithContext is inlined and its result only copied, so the clone it
	// makes stays on the stack: c.req is the one on the heap.
	c.req = *r.WithContext(c)
	return &c.req, &c.s
}

// Wrap returns a recording [Writer] around w. The first call for a request
// uses the Writer stored in s, so it costs no allocation; a later call, for
// a second logger in the same chain, say, allocates its own.
func (s *State) Wrap(w http.ResponseWriter) *Writer {
	if s.writer.ResponseWriter == nil {
		s.writer = Writer{ResponseWriter: w}
		return &s.writer
	}
	return &Writer{ResponseWriter: w}
}

// SetRequestID records id as the request's ID and returns it as a header
// value backed by s, so setting the response header costs no allocation.
func (s *State) SetRequestID(id string) []string {
	s.Data.RequestID = id
	s.requestID[0] = id
	return s.requestID[:1:1]
}

// SetNewRequestID is SetRequestID for an ID made of the 32 bytes of text:
// the first such ID of a request is kept in s, so it costs no allocation.
func (s *State) SetNewRequestID(text [32]byte) []string {
	if s.idText[0] != 0 || text[0] == 0 {
		return s.SetRequestID(string(text[:]))
	}
	s.idText = text
	return s.SetRequestID(unsafe.String(&s.idText[0], len(s.idText)))
}

// ETagLen is the length of the ETags send makes: 22 base64url characters
// of a 128-bit digest, quoted.
const ETagLen = 2 + 22

// SetETag returns text as an ETag header value. The first of a request
// is kept in s, so it, and the same text again, cost no allocation; text
// never starts with a zero byte (it starts with a quote).
func (s *State) SetETag(text [ETagLen]byte) []string {
	switch {
	case s.etagText == text:
		return s.etag[:1:1]
	case s.etagText[0] != 0:
		return []string{string(text[:])}
	}
	s.etagText = text
	s.etag[0] = unsafe.String(&s.etagText[0], len(s.etagText))
	return s.etag[:1:1]
}

// AddrText returns a.String(): for the first IPv4 address of a request
// (the common case), text kept in s, so a log line's client address costs
// no allocation; "" for the zero Addr.
func (s *State) AddrText(a netip.Addr) string {
	if !a.Is4() {
		if !a.IsValid() {
			return ""
		}
		return a.String()
	}
	switch {
	case s.ipLen > 0 && s.ip4 == a.As4():
		return unsafe.String(&s.ipText[0], int(s.ipLen))
	case s.ipLen > 0:
		return a.String()
	}
	s.ip4 = a.As4()
	s.ipLen = uint8(len(a.AppendTo(s.ipText[:0])))
	return unsafe.String(&s.ipText[0], int(s.ipLen))
}

// countingBody is a request body that counts the bytes read from it.
type countingBody struct {
	rc io.ReadCloser
	n  int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *countingBody) Close() error { return b.rc.Close() }

// CountBody returns body wrapped so that the bytes read from it are
// counted for [State.BodyBytes], in s: no allocation. A body already
// counted by s is returned as it is.
func (s *State) CountBody(body io.ReadCloser) io.ReadCloser {
	if s.body.rc != nil {
		return body
	}
	s.body.rc = body
	return &s.body
}

// BodyBytes returns the request body bytes read through CountBody.
func (s *State) BodyBytes() int64 { return s.body.n }
