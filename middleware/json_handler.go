package middleware

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/microkit-go/micro/internal/jsontext"
)

// JSONHandler is a [slog.Handler] that writes what [slog.JSONHandler]
// writes, byte for byte, with an encoder of its own for the records it can:
// those whose attributes are strings, integers, booleans, durations and
// times, which is every line [Logger] writes but for a 5xx's cause.
// Logger's line, which it writes straight from its fields, costs less than
// half of what it costs through slog's handler, and no allocation; another
// such record handed to Handle about 60%. Other records, and every record
// of a handler made with a
// ReplaceAttr function or AddSource, go to a slog.JSONHandler writing to the
// same writer.
//
// Each record is one Write to the writer, under a lock shared by the
// handler and those derived from it (WithAttrs and WithGroup return slog's
// handlers, writing through that lock), so lines never interleave. The
// buffer passed to Write is reused: the writer must not keep it.
type JSONHandler struct {
	slog  *slog.JSONHandler
	out   *jsonHandlerOut
	fast  bool // no ReplaceAttr and no AddSource: our encoder applies
	clock atomic.Pointer[jsonHandlerSecond]
}

// jsonHandlerSecond is the text of one second of time in one location:
// what RFC 3339 writes before the fraction of the second and after it.
type jsonHandlerSecond struct {
	unix   int64
	loc    *time.Location
	before [len("2006-01-02T15:04:05")]byte
	zone   []byte // "Z" or "-07:00"
}

// jsonHandlerOut is the writer a JSONHandler and the slog handlers derived
// from it share, with the pool of line buffers.
type jsonHandlerOut struct {
	mu   sync.Mutex
	w    io.Writer
	bufs sync.Pool // *[]byte
}

func (o *jsonHandlerOut) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Write(p)
}

// jsonHandlerMaxPooled is the largest line buffer kept for reuse, as slog
// keeps its own.
const jsonHandlerMaxPooled = 16 << 10

// jsonHandlerMaxAttrs is the most attributes a record may have for our
// encoder; a longer record goes to slog's.
const jsonHandlerMaxAttrs = 16

// NewJSONHandler returns a [JSONHandler] that writes to w with opts, as
// slog.NewJSONHandler(w, opts) would; nil opts are the defaults. A nil w
// panics.
func NewJSONHandler(w io.Writer, opts *slog.HandlerOptions) *JSONHandler {
	if w == nil {
		panic("middleware: NewJSONHandler needs a non-nil io.Writer")
	}
	var o slog.HandlerOptions
	if opts != nil {
		o = *opts
	}
	out := &jsonHandlerOut{w: w}
	return &JSONHandler{
		slog: slog.NewJSONHandler(out, &o),
		out:  out,
		fast: o.ReplaceAttr == nil && !o.AddSource,
	}
}

// Enabled reports whether the handler writes records of level l, by the
// Level of its options.
func (h *JSONHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.slog.Enabled(ctx, l)
}

// Handle writes r as one JSON line.
func (h *JSONHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.fast && r.NumAttrs() <= jsonHandlerMaxAttrs {
		var buf [jsonHandlerMaxAttrs]slog.Attr
		attrs := buf[:0]
		r.Attrs(func(a slog.Attr) bool {
			attrs = append(attrs, a)
			return true
		})
		if ok, err := h.write(r.Time, r.Level, r.Message, attrs); ok {
			return err
		}
	}
	return h.slog.Handle(ctx, r)
}

// WithAttrs returns slog's JSON handler with attrs, writing to the same
// writer.
func (h *JSONHandler) WithAttrs(attrs []slog.Attr) slog.Handler { return h.slog.WithAttrs(attrs) }

// WithGroup returns slog's JSON handler with the group, writing to the
// same writer.
func (h *JSONHandler) WithGroup(name string) slog.Handler { return h.slog.WithGroup(name) }

// write writes the record of t, level, msg and attrs when our encoder can,
// and reports whether it did; when it cannot, it writes nothing.
func (h *JSONHandler) write(t time.Time, level slog.Level, msg string, attrs []slog.Attr) (bool, error) {
	if !jsonHandlerEncodes(attrs) {
		return false, nil
	}
	line, ok := h.begin(t, level, msg)
	if !ok {
		return false, nil
	}
	for _, a := range attrs {
		if jsonHandlerEmpty(a) {
			continue
		}
		line.b = appendJSONKey(line.b, a.Key)
		line.b = jsonHandlerValue(line.b, a.Value)
	}
	return true, h.end(line)
}

// jsonLine is a line being written by a JSONHandler: its pooled buffer.
type jsonLine struct {
	b  []byte
	bp *[]byte
}

// begin starts the line of a record of t, level and msg, ready for its
// attributes (appendJSONKey and a value each), or reports false when
// the handler's options (ReplaceAttr, AddSource) or a year outside 0 to
// 9999 leave the record to slog's encoder. A line begun must be ended
// with end.
func (h *JSONHandler) begin(t time.Time, level slog.Level, msg string) (jsonLine, bool) {
	if !h.fast || !t.IsZero() && !jsonHandlerYear(t) {
		return jsonLine{}, false
	}
	bp, _ := h.out.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b := append((*bp)[:0], '{')
	if !t.IsZero() {
		b = append(b, `"time":`...)
		b = h.appendRecordTime(b, t)
		b = append(b, ',')
	}
	b = append(b, `"level":`...)
	b = jsontext.AppendString(b, level.String(), jsontext.Slog)
	b = append(b, `,"msg":`...)
	b = jsontext.AppendString(b, msg, jsontext.Slog)
	return jsonLine{b: b, bp: bp}, true
}

// end writes the line and gives its buffer back.
func (h *JSONHandler) end(line jsonLine) error {
	b := append(line.b, '}', '\n')
	_, err := h.out.Write(b)
	if cap(b) <= jsonHandlerMaxPooled {
		*line.bp = b
		h.out.bufs.Put(line.bp)
	}
	return err
}

// appendJSONKey appends the comma and the key that start an attribute.
func appendJSONKey(b []byte, key string) []byte {
	b = append(b, ',')
	b = jsontext.AppendString(b, key, jsontext.Slog)
	return append(b, ':')
}

// jsonHandlerEncodes reports whether our encoder writes attrs as slog's
// does: values of the kinds jsonHandlerValue writes, times in years 0 to
// 9999 (slog writes an error beside others).
func jsonHandlerEncodes(attrs []slog.Attr) bool {
	for _, a := range attrs {
		switch v := a.Value; v.Kind() {
		case slog.KindString, slog.KindInt64, slog.KindUint64, slog.KindBool, slog.KindDuration:
		case slog.KindTime:
			if !jsonHandlerYear(v.Time()) {
				return false
			}
		case slog.KindAny:
			// Only the empty attribute. slog marshals other values, and
			// writes an error's text guarded against a panic in Error.
			if !jsonHandlerEmpty(a) {
				return false
			}
		default: // floats, groups, LogValuers
			return false
		}
	}
	return true
}

// jsonHandlerYear reports whether t's year has the four digits RFC 3339
// allows.
func jsonHandlerYear(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y < 10000
}

// jsonHandlerEmpty reports whether a is the empty attribute, which slog
// leaves out.
func jsonHandlerEmpty(a slog.Attr) bool {
	return a.Key == "" && a.Value.Kind() == slog.KindAny && a.Value.Any() == nil
}

// jsonHandlerTime appends t as slog's JSON handler does.
func jsonHandlerTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendRecordTime appends t as jsonHandlerTime does, from the text of its
// second kept since the last record (lines come many to a second), so
// only the fraction is formatted.
func (h *JSONHandler) appendRecordTime(b []byte, t time.Time) []byte {
	unix, loc := t.Unix(), t.Location()
	sec := h.clock.Load()
	if sec == nil || sec.unix != unix || sec.loc != loc {
		sec = &jsonHandlerSecond{unix: unix, loc: loc}
		text := t.AppendFormat(nil, time.RFC3339) // no fraction
		copy(sec.before[:], text)
		sec.zone = text[len(sec.before):]
		h.clock.Store(sec)
	}
	b = append(b, '"')
	b = append(b, sec.before[:]...)
	if ns := t.Nanosecond(); ns != 0 {
		// As RFC3339Nano: nine digits, their trailing zeros dropped.
		var f [10]byte
		f[0] = '.'
		// Two digits at a time, in unsigned division (ns is under 1e9).
		u := uint(ns)
		for i := 8; i > 1; i -= 2 {
			d := u % 100 * 2
			f[i], f[i+1] = jsonHandlerDigitPairs[d], jsonHandlerDigitPairs[d+1]
			u /= 100
		}
		f[1] = byte('0' + u)
		n := len(f)
		for f[n-1] == '0' {
			n--
		}
		b = append(b, f[:n]...)
	}
	b = append(b, sec.zone...)
	return append(b, '"')
}

// jsonHandlerDigitPairs holds the two digits of each number from 00 to
// 99, at twice the number.
const jsonHandlerDigitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// jsonHandlerValue appends v, of a kind jsonHandlerEncodes accepts, as
// slog's JSON handler does.
func jsonHandlerValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return jsontext.AppendString(b, v.String(), jsontext.Slog)
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return strconv.AppendInt(b, int64(v.Duration()), 10)
	}
	return jsonHandlerTime(b, v.Time())
}
