package middleware

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/microkit-go/micro/internal/jsontext"
	"github.com/microkit-go/micro/internal/report"
	"github.com/microkit-go/micro/internal/state"
)

// Logger returns middleware that writes one structured line to l for each
// request, after it completes: method, path (as the request reached
// Logger, before any StripPrefix), route (the pattern that matched, from
// http.ServeMux, micro.Handler or [SetRoute]; "unmatched" for a request no
// route served, so its values stay as few as the routes), status (200
// when the handler wrote nothing, as net/http sends), bytes (the body
// bytes sent, through io.Copy and ReadFrom too; 0 for a HEAD, whose body
// net/http discards), duration, request_id (from [RequestID]), client_ip
// (from [ClientIP], else the peer's), user_agent, trace_id and span_id
// when the request carries a valid W3C traceparent header (the trace and
// the caller's span; a malformed or repeated header is ignored) and, for
// a 5xx, the error behind it, with its stack when it was a panic. The
// level is Error for a 5xx, Warn for a 4xx, Info otherwise.
//
// Logger makes l the logger [send.Error] uses for the request, and the
// cause of a 5xx, from [send.Error], micro.Handler's recovered panic or
// [Recover], is handed to Logger rather than logged on its own line, so
// each failure is one line. A panic passing through Logger is logged (as a
// 500 when nothing was written) and panicked again: put [Recover] after
// Logger to answer it. A nil l panics at construction, with the message of
// the error [ValidateLogger] returns.
//
// With a [JSONHandler], the line is written by its own encoder, the same
// bytes as slog's JSON handler for about a third of the CPU time and no
// allocation.
func Logger(l *slog.Logger) func(http.Handler) http.Handler {
	mustValid(ValidateLogger(l))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, s := state.Attach(r)
			s.Log.Logger, s.Log.Reporting = l, true
			serveObserved(w, r, s, next, func(rw *state.Writer, start time.Time, p any) {
				var o Observation
				observe(&o, r, s, rw, start, p)
				logRequest(l, r, s, &o)
			})
		})
	}
}

// logRequest writes the line of r, observed as o.
func logRequest(l *slog.Logger, r *http.Request, s *state.State, o *Observation) {
	level := slog.LevelInfo
	switch {
	case o.Status >= 500:
		level = slog.LevelError
	case o.Status >= 400:
		level = slog.LevelWarn
	}
	ctx := r.Context()
	if !l.Enabled(ctx, level) {
		return
	}
	end := o.Start.Add(o.Duration)
	line := loggerLine{
		method: o.Method, path: r.URL.Path, route: o.Route, status: o.Status, bytes: o.BytesOut,
		duration: o.Duration, requestID: s.Data.RequestID,
		clientIP: loggerClientIP(r, s), userAgent: headerValue(r.Header, "User-Agent"),
		traceID: o.TraceID, spanID: o.SpanID, cause: o.Cause,
	}
	h := l.Handler()
	if jh, ok := h.(*JSONHandler); ok && line.cause == nil {
		// Our encoder, straight from the fields: no record, no allocation.
		if out, ok := jh.begin(end, level, loggerMessage); ok {
			out.b = line.appendJSON(out.b)
			_ = jh.end(out)
			return
		}
	}
	var attrs [loggerMaxAttrs]slog.Attr
	n := line.attrs(&attrs)
	// The record goes to the handler directly: slog.Logger.LogAttrs would
	// also look up the caller's source line (this function's, of no use)
	// and read the clock a second time.
	rec := slog.NewRecord(end, level, loggerMessage, 0)
	rec.AddAttrs(attrs[:n]...)
	_ = h.Handle(ctx, rec)
}

// loggerLine is what Logger writes of a request, after slog's time, level
// and message: the one list of its attributes, as slog attributes for any
// handler (attrs) or as JSON for a JSONHandler (appendJSON), in the same
// order with the same keys.
type loggerLine struct {
	method, path, route            string
	status                         int
	bytes                          int64
	duration                       time.Duration
	requestID, clientIP, userAgent string
	traceID, spanID                string // of a valid traceparent; "" otherwise
	cause                          error  // with its stack when it has one
}

// The keys of Logger's attributes after those of report.Attrs.
const (
	loggerKeyBytes     = "bytes"
	loggerKeyDuration  = "duration"
	loggerKeyRequestID = "request_id"
	loggerKeyClientIP  = "client_ip"
	loggerKeyUserAgent = "user_agent"
	loggerKeyTraceID   = "trace_id"
	loggerKeySpanID    = "span_id"
	loggerKeyError     = "error"
	loggerKeyStack     = "stack"
)

// loggerMaxAttrs is the most attributes of a line.
const loggerMaxAttrs = 13

// attrs fills a with the line's attributes and returns how many there are.
func (ln *loggerLine) attrs(a *[loggerMaxAttrs]slog.Attr) int {
	named := report.AttrsOf(ln.method, ln.path, ln.route, ln.status)
	*a = [loggerMaxAttrs]slog.Attr{
		named[0], named[1], named[2], named[3],
		slog.Int64(loggerKeyBytes, ln.bytes),
		slog.Duration(loggerKeyDuration, ln.duration),
		slog.String(loggerKeyRequestID, ln.requestID),
		slog.String(loggerKeyClientIP, ln.clientIP),
		slog.String(loggerKeyUserAgent, ln.userAgent),
	}
	n := 9
	if ln.traceID != "" {
		a[n], a[n+1] = slog.String(loggerKeyTraceID, ln.traceID), slog.String(loggerKeySpanID, ln.spanID)
		n += 2
	}
	if ln.cause != nil {
		a[n] = slog.Any(loggerKeyError, ln.cause)
		n++
		if st := report.Stack(ln.cause); st != nil {
			a[n] = slog.String(loggerKeyStack, string(st))
			n++
		}
	}
	return n
}

// appendJSON appends the attributes of a line without a cause as slog's
// JSON handler writes them. The keys are written as they are: none needs
// an escape.
func (ln *loggerLine) appendJSON(b []byte) []byte {
	b = appendPlainKey(b, report.KeyMethod)
	b = jsontext.AppendString(b, ln.method, jsontext.Slog)
	b = appendPlainKey(b, report.KeyPath)
	b = jsontext.AppendString(b, ln.path, jsontext.Slog)
	b = appendPlainKey(b, report.KeyRoute)
	b = jsontext.AppendString(b, ln.route, jsontext.Slog)
	b = appendPlainKey(b, report.KeyStatus)
	b = strconv.AppendInt(b, int64(ln.status), 10)
	b = appendPlainKey(b, loggerKeyBytes)
	b = strconv.AppendInt(b, ln.bytes, 10)
	b = appendPlainKey(b, loggerKeyDuration)
	b = strconv.AppendInt(b, int64(ln.duration), 10)
	b = appendPlainKey(b, loggerKeyRequestID)
	b = jsontext.AppendString(b, ln.requestID, jsontext.Slog)
	b = appendPlainKey(b, loggerKeyClientIP)
	b = jsontext.AppendString(b, ln.clientIP, jsontext.Slog)
	b = appendPlainKey(b, loggerKeyUserAgent)
	b = jsontext.AppendString(b, ln.userAgent, jsontext.Slog)
	if ln.traceID != "" { // lowercase hex: nothing to escape
		b = appendPlainKey(b, loggerKeyTraceID)
		b = append(append(append(b, '"'), ln.traceID...), '"')
		b = appendPlainKey(b, loggerKeySpanID)
		b = append(append(append(b, '"'), ln.spanID...), '"')
	}
	return b
}

// appendPlainKey is appendJSONKey for a key JSON writes as it is.
func appendPlainKey(b []byte, key string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// loggerMessage is the message of Logger's lines.
const loggerMessage = "request"

// loggerClientIP is the address ClientIP found, else the peer's, else "".
func loggerClientIP(r *http.Request, s *state.State) string {
	a := s.Data.ClientIP
	if !a.IsValid() {
		if _, host, ok := clientIPParsePeer4(r.RemoteAddr); ok {
			return host // the address's text, without formatting it
		}
		a = ClientIPFrom(r)
	}
	return s.AddrText(a)
}

// headerValue is h.Get(key) for a key already in canonical form: the map
// is read directly, without canonicalising the key on every request.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// ValidateLogger reports whether [Logger] accepts l: nil, or a
// [*ConfigError] when l is nil.
func ValidateLogger(l *slog.Logger) error {
	if l == nil {
		return configError("Logger", "middleware: Logger needs a non-nil *slog.Logger")
	}
	return nil
}
