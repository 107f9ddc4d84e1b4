// Package traceparent reads the traceparent request header of W3C Trace
// Context Level 1 (https://www.w3.org/TR/trace-context-1/, section 3.2):
// the trace a request belongs to and the span of the caller that sent it.
//
// The threat model is a client that sends any bytes it likes: a header
// too long, repeated, in upper case, with all-zero ids or a version from
// the future. [Parse] accepts exactly the values the specification lets a
// receiver use, reads at most the first 56 bytes of a value whatever its
// length, and does not allocate: the ids it returns are substrings of the
// header value.
package traceparent

import "github.com/microkit-go/micro/internal/httpsyntax"

// length is the length of a version 00 value, and the shortest value of
// any version: version "-" trace-id "-" parent-id "-" trace-flags, that
// is 2 + 1 + 32 + 1 + 16 + 1 + 2.
const length = 55

// The offsets of the fields within a value.
const (
	traceIDStart = 3
	traceIDEnd   = traceIDStart + 32
	spanIDStart  = traceIDEnd + 1
	spanIDEnd    = spanIDStart + 16
	flagsStart   = spanIDEnd + 1
)

// Parent is the caller's position in a trace, as a valid traceparent
// header states it. The zero Parent stands for no valid header.
type Parent struct {
	// TraceID is the trace-id: 32 lowercase hexadecimal digits, not all
	// zeros.
	TraceID string
	// SpanID is the parent-id, the caller's span: 16 lowercase
	// hexadecimal digits, not all zeros.
	SpanID string
	// Flags is the trace-flags byte; see [Parent.Sampled].
	Flags byte
	// Version is the version byte of the header, 0x00 to 0xfe. A value
	// of a higher version than 0x00 was read as its version 00 prefix.
	Version byte
}

// Sampled reports whether the caller set the sampled flag, the least
// significant bit of Flags. It reports false for the zero Parent.
func (p Parent) Sampled() bool { return p.Flags&1 == 1 }

// Parse reads the values of a request's traceparent header, as net/http
// gathers them in r.Header["Traceparent"], and returns the Parent they
// state with ok true.
//
// On bad input it returns the zero Parent and ok false: when values holds
// no value or more than one; when the version is not two lowercase
// hexadecimal digits or is "ff"; when a version 00 value is not exactly
// 55 bytes long; when a value of a higher version is shorter than 55
// bytes, or longer with a byte other than '-' after the flags; when a
// dash is missing from its place; when the trace-id or parent-id is not
// lowercase hexadecimal or is all zeros; when the flags are not two
// lowercase hexadecimal digits. The fields a higher version adds after
// the flags are neither read nor checked.
//
// Parse trims nothing: a value with a leading or trailing space or tab is
// invalid. Go's HTTP/1 server has already removed that optional
// whitespace when it read the header line, so such a request is read as
// the sender meant; an HTTP/2 field value may not start or end with it at
// all (RFC 9113 section 8.2.1).
func Parse(values []string) (Parent, bool) {
	if len(values) != 1 {
		return Parent{}, false
	}
	v := values[0]
	if len(v) < length {
		return Parent{}, false
	}
	version, ok := hexByte(v[0], v[1])
	switch {
	case !ok, version == 0xff:
		return Parent{}, false
	case version == 0 && len(v) != length:
		return Parent{}, false
	case len(v) > length && v[length] != '-':
		return Parent{}, false
	case v[traceIDStart-1] != '-' || v[spanIDStart-1] != '-' || v[flagsStart-1] != '-':
		return Parent{}, false
	}
	traceID, spanID := v[traceIDStart:traceIDEnd], v[spanIDStart:spanIDEnd]
	flags, ok := hexByte(v[flagsStart], v[flagsStart+1])
	if !ok || !isID(traceID) || !isID(spanID) {
		return Parent{}, false
	}
	return Parent{TraceID: traceID, SpanID: spanID, Flags: flags, Version: version}, true
}

// isID reports whether id is lowercase hexadecimal and not all zeros.
func isID(id string) bool {
	zero := true
	for i := 0; i < len(id); i++ {
		d, ok := hexDigit(id[i])
		if !ok {
			return false
		}
		zero = zero && d == 0
	}
	return !zero
}

// hexByte returns the byte that the lowercase hexadecimal digits hi and lo
// spell, and false when either is not one.
func hexByte(hi, lo byte) (byte, bool) {
	h, okh := hexDigit(hi)
	l, okl := hexDigit(lo)
	return h<<4 | l, okh && okl
}

// hexDigit returns the value of c when it is a lowercase hexadecimal
// digit (HEXDIGLC of the specification), and false for any other byte,
// an uppercase digit included.
func hexDigit(c byte) (byte, bool) {
	if 'A' <= c && c <= 'F' {
		return 0, false
	}
	return httpsyntax.Unhex(c)
}
