package middleware

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/microkit-go/micro/internal/state"
)

// AccessLog returns middleware that writes one Apache Combined Log Format
// line to out for each request, for tools that parse those (GoAccess,
// AWStats, fail2ban):
//
//	host - user [time] "method target proto" status bytes "referer" "user-agent"
//
// Threat model: the target, the user, the Referer and the User-Agent are
// written by the client, and a line it could end early would let it forge
// lines naming any address, which a fail2ban would ban. So each line is
// exactly one line: as Apache's mod_log_config does, `"` and `\` get a
// backslash and every byte outside printable ASCII is written \xhh, and so
// is a space in the user and the request line, so each field splits on
// spaces. Absent fields are "-".
//
// host is the address of [ClientIPFrom], never the text of a header (put
// [ClientIP] before any [Timeout], as [Default] does, or a route cut off
// logs the peer's); user is r.URL.User's name and time the local time as
// the request reached AccessLog; the target is r.RequestURI; status is 200
// when the handler wrote nothing; bytes counts the body bytes sent, through
// io.Copy and ReadFrom too, and is 0 for a HEAD.
//
// Each line is one Write of a pooled buffer, which out must not keep, and
// writes are not synchronised: give it a writer safe for concurrent use
// (an *os.File is). Nothing is logged for a request whose handler panics,
// so put [Recover] after AccessLog. For structured logs use [Logger]. A
// nil out panics at construction, with the message of the error
// [ValidateAccessLog] returns.
func AccessLog(out io.Writer) func(http.Handler) http.Handler {
	mustValid(ValidateAccessLog(out))
	l := &accessLog{out: out}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req := accessLogRequest{start: time.Now()}
			req.read(r)
			r, s := state.Attach(r)
			rw := s.Wrap(w)
			next.ServeHTTP(rw, r)
			l.write(&req, r, rw)
		})
	}
}

// accessLog is the immutable configuration of one AccessLog, with its
// pool of line buffers.
type accessLog struct {
	out  io.Writer
	bufs sync.Pool // *[]byte
}

// accessLogMaxPooled is the largest line buffer put back in the pool: a
// line made long by a huge header is not kept for every later request.
const accessLogMaxPooled = 16 << 10

// accessLogRequest is what AccessLog logs of a request, read as the request
// reached it: the handler may change the request, or still be running (after
// a [Timeout]) when the line is written.
type accessLogRequest struct {
	start                    time.Time
	method, target, proto    string
	user, referer, userAgent string
	head                     bool
}

// read records the request's fields.
func (q *accessLogRequest) read(r *http.Request) {
	q.method, q.proto = r.Method, r.Proto
	q.head = r.Method == http.MethodHead
	// The target as the client sent it; for an HTTP/2 CONNECT, r.Host; for
	// a request not read by a server, r.URL's request URI.
	q.target = r.RequestURI
	if r.ProtoMajor == 2 && r.Method == http.MethodConnect {
		q.target = r.Host
	}
	if r.URL != nil {
		if q.target == "" {
			q.target = r.URL.RequestURI()
		}
		// An authentication middleware before AccessLog logs its user by
		// setting r.URL.User (as with gorilla's handler); a client that
		// sends a user in an absolute-form target (GET
		// http://name@host/) is logged under that name, escaped.
		if r.URL.User != nil {
			q.user = r.URL.User.Username()
		}
	}
	q.referer = headerValue(r.Header, "Referer")
	q.userAgent = headerValue(r.Header, "User-Agent")
}

// write writes the line of the request q, which r (carrying its state) and
// rw served.
func (l *accessLog) write(q *accessLogRequest, r *http.Request, rw *state.Writer) {
	status := rw.Status
	if status == 0 {
		status = http.StatusOK
	}
	// Bytes counts io.Copy and ReadFrom, which keep net/http's sendfile
	// path; gorilla's handler logs 0 for them.
	sent := rw.Bytes
	if q.head {
		sent = 0 // net/http discards a HEAD response's body: nothing was sent
	}

	bp, _ := l.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b := (*bp)[:0]
	// What ClientIP found, before or after AccessLog, else the peer; never
	// the text of r.RemoteAddr or of a header. A ClientIP after a Timeout
	// that cuts the route off found its address in the route's copy of the
	// state, which the cut discards: that line has the peer (a proxy's
	// address, which a fail2ban would ban).
	if a := ClientIPFrom(r); a.IsValid() {
		b = a.AppendTo(b)
	} else {
		b = append(b, '-')
	}
	b = append(b, " - "...)
	b = appendLogField(b, q.user, true)
	b = append(b, " ["...)
	b = q.start.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, `] "`...)
	b = appendLogEscaped(b, q.method, true)
	b = append(b, ' ')
	b = appendLogEscaped(b, q.target, true)
	b = append(b, ' ')
	b = appendLogEscaped(b, q.proto, true)
	b = append(b, `" `...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, sent, 10)
	b = append(b, ` "`...)
	b = appendLogField(b, q.referer, false)
	b = append(b, `" "`...)
	b = appendLogField(b, q.userAgent, false)
	b = append(b, "\"\n"...)
	_, _ = l.out.Write(b)

	if cap(b) <= accessLogMaxPooled {
		*bp = b
		l.bufs.Put(bp)
	}
}

// appendLogField appends s escaped by appendLogEscaped, or "-" when s is
// empty.
func appendLogField(b []byte, s string, space bool) []byte {
	if s == "" {
		return append(b, '-')
	}
	return appendLogEscaped(b, s, space)
}

const lowerHex = "0123456789abcdef"

// appendLogEscaped appends s to b as mod_log_config escapes a log item:
// `"` and `\` get a backslash, bytes outside printable ASCII are written
// \xhh, and so is a space when space is set.
func appendLogEscaped(b []byte, s string, space bool) []byte {
	start := 0 // of the bytes not yet appended, which need no escape
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' && c <= '~' && c != '"' && c != '\\' || c == ' ' && !space {
			continue
		}
		b = append(b, s[start:i]...)
		if c == '"' || c == '\\' {
			b = append(b, '\\', c)
		} else {
			b = append(b, '\\', 'x', lowerHex[c>>4], lowerHex[c&0xf])
		}
		start = i + 1
	}
	return append(b, s[start:]...)
}

// ValidateAccessLog reports whether [AccessLog] accepts out: nil, or a
// [*ConfigError] when out is nil.
func ValidateAccessLog(out io.Writer) error {
	if out == nil {
		return configError("AccessLog", "middleware: AccessLog needs a non-nil io.Writer")
	}
	return nil
}
