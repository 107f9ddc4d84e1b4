package send

import (
	"net/http"
	"strconv"

	"github.com/microkit-go/micro/internal/jsontext"
	"github.com/microkit-go/micro/internal/response"
)

// Problem is an RFC 9457 problem details object: the body [Error] writes,
// with Content-Type application/problem+json.
type Problem struct {
	Type     string `json:"type"`               // always "about:blank" from Error
	Title    string `json:"title"`              // the status text, "Not Found"
	Status   int    `json:"status"`             // the HTTP status
	Detail   string `json:"detail,omitempty"`   // the public message; empty for unclassified errors
	Instance string `json:"instance,omitempty"` // not set by Error
}

// writeProblem writes p with the headers hdr.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem, hdr http.Header) {
	h := w.Header()
	for _, k := range [...]string{"Content-Encoding", "Content-Range", "Content-Disposition", "Etag", "Last-Modified"} {
		delete(h, k)
	}
	response.MergeHeader(h, hdr)
	h["Content-Type"] = valueProblem
	h["X-Content-Type-Options"] = valueNosniff

	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	b := p.append((*bp)[:0]) // a detail of over 32 KiB allocates; the pooled buffer stays as it was
	setTypeAndLength(h, valueProblem, len(b))
	w.WriteHeader(p.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b) // a failed write means the client is gone
	}
}

// append appends p as JSON, as encoding/json would encode it, without
// reflection: the error path stays cheap when a client sends many bad
// requests.
func (p Problem) append(b []byte) []byte {
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
	return append(b, '}')
}
