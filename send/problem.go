package send

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/microkit-go/micro/internal/jsontext"
	"github.com/microkit-go/micro/internal/response"
)

// Problem is an RFC 9457 problem details object: the body [Error] writes,
// with Content-Type application/problem+json.
type Problem struct {
	Type     string `json:"type"`               // "about:blank" unless a [ProblemFiller] sets it
	Title    string `json:"title"`              // the status text, "Not Found", unless a ProblemFiller sets it
	Status   int    `json:"status"`             // the HTTP status
	Detail   string `json:"detail,omitempty"`   // the public message; empty for unclassified errors
	Instance string `json:"instance,omitempty"` // set only by a ProblemFiller

	// Extensions are the extension members, written after the standard
	// ones in their order here, each value encoded as [JSON] encodes it.
	// A member named like a standard one (type, title, status, detail,
	// instance) or like an earlier extension is left out, so the body
	// never has a name twice (a name's invalid UTF-8 is written as
	// U+FFFD, so "a\xff" and "a\ufffd" are one name). A value that cannot be encoded makes [Error]
	// answer a 500 instead, logged: nothing invalid is written.
	Extensions []Member `json:"-"`
}

// Member is an extension member of a [Problem]: a name and a value that
// encoding/json encodes. RFC 9457 advises names of at least three
// characters, letters, digits and underscores, starting with a letter.
type Member struct {
	Name  string
	Value any
}

// ProblemFiller is the method [Error] looks for on the error that carries
// the public status (the one it finds with errors.As for [StatusCoder]):
// FillProblem returns p, as Error filled it in, with its Type, Title,
// Instance and Extensions (or even its Detail) set. A Status it changes is
// put back: the body states the response's status.
type ProblemFiller interface {
	FillProblem(p Problem) Problem
}

// Reserved reports whether name is a member RFC 9457 defines (type, title,
// status, detail, instance), which no extension member may take.
func Reserved(name string) bool {
	switch name {
	case "type", "title", "status", "detail", "instance":
		return true
	}
	return false
}

// writeProblem writes the problem body b with the status and the headers
// hdr.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, b []byte, hdr http.Header) {
	h := w.Header()
	for _, k := range [...]string{"Content-Encoding", "Content-Range", "Content-Disposition", "Etag", "Last-Modified"} {
		delete(h, k)
	}
	if status >= 500 {
		// The caching headers were set for the response the route meant
		// to send: a shared cache must not keep the failure in its place.
		delete(h, "Expires")
		h["Cache-Control"] = valueNoStore
	}
	response.MergeHeader(h, hdr) // the error's own headers win
	h["Content-Type"] = valueProblem
	h["X-Content-Type-Options"] = valueNosniff
	setTypeAndLength(h, valueProblem, len(b))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b) // a failed write means the client is gone
	}
}

// append appends p as JSON, as encoding/json would encode it (with its
// extension members inline), without reflection for the standard members:
// the error path stays cheap when a client sends many bad requests. On an
// extension value that cannot be encoded it returns the error and b is not
// a JSON object.
func (p *Problem) append(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = jsontext.AppendString(b, p.Type, jsontext.EncodingJSON)
	b = append(b, `,"title":`...)
	b = jsontext.AppendString(b, p.Title, jsontext.EncodingJSON)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	if p.Detail != "" {
		b = append(b, `,"detail":`...)
		b = jsontext.AppendString(b, p.Detail, jsontext.EncodingJSON)
	}
	if p.Instance != "" {
		b = append(b, `,"instance":`...)
		b = jsontext.AppendString(b, p.Instance, jsontext.EncodingJSON)
	}
	if len(p.Extensions) > 0 {
		var err error
		if b, err = appendMembers(b, p.Extensions); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendMembers appends ms as members of an object, after others, leaving
// out reserved and repeated names.
func appendMembers(b []byte, ms []Member) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer e.release()
	plain := true // every name so far is valid UTF-8
	for i, m := range ms {
		plain = plain && utf8.ValidString(m.Name)
		if Reserved(m.Name) || repeated(ms[:i], m.Name, plain) {
			continue
		}
		e.buf.Reset()
		if err := e.enc.Encode(m.Value); err != nil {
			return b, fmt.Errorf("send: encoding problem member %q: %w", m.Name, err)
		}
		v := e.buf.Bytes()
		b = append(b, ',')
		b = jsontext.AppendString(b, m.Name, jsontext.EncodingJSON)
		b = append(b, ':')
		b = append(b, v[:len(v)-1]...) // json.Encoder's newline
	}
	return b, nil
}

// repeated reports whether ms has a member named name once encoded. A
// byte of invalid UTF-8 is written as U+FFFD, so "\xff", "\xfe" and
// "\ufffd" are one name in the body: with plain false (name or a name of
// ms is not valid UTF-8) the names are compared as encoded.
func repeated(ms []Member, name string, plain bool) bool {
	for _, m := range ms {
		if m.Name == name || !plain && encodedName(m.Name) == encodedName(name) {
			return true
		}
	}
	return false
}

// encodedName is name as a JSON decoder reads it back once encoded: each
// byte of invalid UTF-8 replaced by U+FFFD, as jsontext.AppendString
// writes it.
func encodedName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		b.WriteRune(r) // utf8.RuneError, U+FFFD, for an invalid byte
		i += size
	}
	return b.String()
}
