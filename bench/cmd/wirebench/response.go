package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// The limits of [responseReader]: a response over them fails the run.
const (
	maxHeaderBytes = 16 << 10 // status line and headers
	maxBodyBytes   = 1 << 20
)

// responseReader reads HTTP/1.1 responses off a keep-alive connection,
// keeping nothing but the status: it checks the framing and discards the
// body. It allocates nothing for a well-formed response.
type responseReader struct {
	br *bufio.Reader
}

// newResponseReader returns a reader of the responses on r.
func newResponseReader(r io.Reader) *responseReader {
	return &responseReader{br: bufio.NewReaderSize(r, 4096)}
}

// errMalformed wraps every error about the bytes of a response.
var errMalformed = errors.New("malformed response")

// malformed returns an error wrapping errMalformed with the formatted
// detail.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, args...))
}

// read reads one response and returns its status. The body is framed by
// Content-Length or chunked transfer coding; 1xx, 204 and 304 have none.
// An error (wrapping errMalformed) for a status line that is not HTTP/1.x
// with three digits, a header line without a colon, an invalid or
// repeated Content-Length, a Transfer-Encoding other than chunked, a
// response with neither (read until close, which a keep-alive load cannot
// use), "Connection: close", headers over 16 KiB or a body over 1 MiB;
// the reader's error for a read that fails or ends early.
func (rr *responseReader) read() (status int, err error) {
	budget := maxHeaderBytes
	line, err := rr.line(&budget)
	if err != nil {
		return 0, err
	}
	status, err = parseStatusLine(line)
	if err != nil {
		return 0, err
	}
	if err := rr.headersAndBody(status, budget); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	return status, nil
}

// headersAndBody reads what follows the status line of a response with
// status, within budget bytes of headers.
func (rr *responseReader) headersAndBody(status, budget int) error {
	length, chunked := -1, false
	for {
		line, err := rr.line(&budget)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return malformed("header line %q has no colon", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := parseDecimal(value)
			if !ok || length >= 0 {
				return malformed("Content-Length %q", value)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return malformed("Transfer-Encoding %q", value)
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			return malformed("the server closes the connection (status %d)", status)
		}
	}
	switch {
	case status < 200 || status == 204 || status == 304:
		return nil
	case chunked:
		return rr.chunkedBody()
	case length >= 0:
		return rr.discard(length)
	}
	return malformed("status %d with neither Content-Length nor chunked body", status)
}

// line returns the next line without its CRLF (or bare LF), counting its
// bytes against budget. The slice is valid until the next read.
func (rr *responseReader) line(budget *int) ([]byte, error) {
	line, err := rr.br.ReadSlice('\n')
	*budget -= len(line)
	switch {
	case err == bufio.ErrBufferFull || *budget < 0:
		return nil, malformed("header section over %d bytes", maxHeaderBytes)
	case err == io.EOF && len(line) > 0:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// chunkedBody reads and discards a chunked body and its trailers.
func (rr *responseReader) chunkedBody() error {
	total := 0
	for {
		budget := maxHeaderBytes
		line, err := rr.line(&budget)
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // a chunk extension
		}
		size, ok := parseHex(bytes.TrimSpace(line))
		if !ok {
			return malformed("chunk size %q", line)
		}
		if size == 0 {
			for { // trailers, up to the empty line
				line, err := rr.line(&budget)
				if err != nil {
					return err
				}
				if len(line) == 0 {
					return nil
				}
			}
		}
		if total += size; total > maxBodyBytes {
			return malformed("body over %d bytes", maxBodyBytes)
		}
		if err := rr.discard(size); err != nil {
			return err
		}
		line, err = rr.line(&budget)
		if err != nil {
			return err
		}
		if len(line) != 0 {
			return malformed("chunk data longer than its size")
		}
	}
}

// discard skips n body bytes; an error if the body is over the limit or
// ends early.
func (rr *responseReader) discard(n int) error {
	if n > maxBodyBytes {
		return malformed("body of %d bytes, over %d", n, maxBodyBytes)
	}
	if _, err := rr.br.Discard(n); err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// parseStatusLine returns the status of "HTTP/1.x NNN reason".
func parseStatusLine(line []byte) (int, error) {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return 0, malformed("status line %q", line)
	}
	status, ok := parseDecimal(line[9:12])
	if !ok || status < 100 {
		return 0, malformed("status line %q", line)
	}
	return status, nil
}

// parseDecimal parses 1 to 9 decimal digits.
func parseDecimal(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseHex parses 1 to 7 hexadecimal digits (a chunk under 256 MiB).
func parseHex(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 7 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int(d)
	}
	return n, true
}
