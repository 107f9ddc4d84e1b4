package send

import (
	"context"
	"errors"
	"net/http"

	"github.com/microkit-go/micro/internal/report"
	"github.com/microkit-go/micro/internal/response"
)

// StatusClientClosedRequest is the status [Error] uses when the error is
// context.Canceled and the request's own context is done: the client went
// away, so nobody reads the response and it is no server error. The number
// is nginx's, so access logs read as operators expect.
const StatusClientClosedRequest = 499

// Error writes err as an RFC 9457 problem (Micro's sendError).
//
// When err, or an error it wraps (found with errors.As), has a StatusCode()
// int method returning a status from 400 to 599, the response has that
// status and that error's message as "detail": the code that built it chose
// to make it public; a Header() http.Header method on the same error adds
// its headers (Allow, Retry-After…), and a [ProblemFiller] on it sets the
// problem's type, title, instance and extension members (else "type" is
// "about:blank" and "title" the status text). An extension member that
// cannot be encoded makes the answer a 500 with no detail, logged with the
// encoding error, so no invalid JSON is sent. An *http.MaxBytesError is a 413 "Body
// exceeded N byte limit", as micro's body helpers word it. Any other error,
// a nil one included, is a 500 with no detail: its text is never sent.
//
// A status-carrying error with status 304 (micro.Preconditions's answer to
// a conditional GET) is no problem: it is sent as a bare 304 Not Modified
// with that error's headers, its message unsent and nothing logged; the
// body's Content-Type, Content-Length and Content-Encoding are removed,
// and Last-Modified when the 304 has an ETag.
//
// Every 5xx is logged once, with method, path and status, through the
// logger set by middleware.ErrorLogger (or middleware.Logger), else
// slog.Default(), or handed to the access-log middleware that reports it.
// 4xx are not logged, nor is context.Canceled once the client went away: it
// is answered with [StatusClientClosedRequest].
//
// The response carries X-Content-Type-Options: nosniff and replaces any
// Content-Type set before; a 5xx is Cache-Control: no-store, without
// Expires, whatever was set for the response it replaces (unless the
// error's own headers set Cache-Control), so no shared cache keeps a
// failure. HEAD gets the headers only. Call Error before anything is
// written: once the status is on the wire, nothing can change it.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	// A body of over 32 KiB allocates; the pooled buffer stays as it was.
	b, status, hdr, public, err := appendProblem((*bp)[:0], err, r)
	if status == http.StatusInternalServerError && !public {
		// Checked only here, so the usual problem pays nothing for it.
		if h, ok := notModifiedHeader(err); ok {
			writeNotModified(w, h)
			return
		}
	}
	switch {
	case public && status < 500:
		// The client's mistake, answered in full: nothing to log.
	case status == StatusClientClosedRequest && !public:
		report.ClientClosed(r, status)
	default:
		report.Report(r, err, status) // a 5xx, public or not, is the server's to fix
	}
	writeProblem(w, r, status, b, hdr)
}

// appendProblem appends the problem of err to b, as [Error] describes it,
// and returns its status, headers, whether it is public and the error to
// log: err, or the error of an extension member that cannot be encoded,
// which makes it a 500 with no detail.
func appendProblem(b []byte, err error, r *http.Request) ([]byte, int, http.Header, bool, error) {
	p, hdr, public := classify(err, r)
	out, encErr := p.append(b)
	if encErr == nil {
		return out, p.Status, hdr, public, err
	}
	p = problem(http.StatusInternalServerError, "")
	out, _ = p.append(b)
	return out, p.Status, nil, false, encErr
}

// StatusCoder is the method [Error] looks for, with errors.As, to find an
// error's public status.
type StatusCoder interface {
	StatusCode() int
}

// classify returns the problem and headers for err. Only an error that
// carries a 4xx or 5xx status is public.
func classify(err error, r *http.Request) (p Problem, hdr http.Header, public bool) {
	status, detail := http.StatusInternalServerError, ""
	if err == nil {
		return problem(status, detail), nil, false
	}
	sc, ok := err.(StatusCoder) // the usual case, without errors.As's reflection
	if ok || errors.As(err, &sc) {
		if s := sc.StatusCode(); s >= 400 && s <= 599 {
			if e, ok := sc.(error); ok {
				detail = e.Error()
			}
			if h, ok := sc.(interface{ Header() http.Header }); ok {
				hdr = h.Header()
			}
			if f, ok := sc.(ProblemFiller); ok {
				p := f.FillProblem(problem(s, detail))
				p.Status = s
				return p, hdr, true
			}
			return problem(s, detail), hdr, true
		}
	}
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		// A body cut by http.MaxBytesReader (middleware.BodyLimit) that the
		// route read itself: the client's mistake, as micro.JSON reports it.
		return problem(http.StatusRequestEntityTooLarge, response.BodyTooLarge(mbe.Limit)), nil, true
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return problem(StatusClientClosedRequest, ""), nil, false
	}
	return problem(status, ""), nil, false
}

// problem is the problem of type about:blank with status and detail.
func problem(status int, detail string) Problem {
	return Problem{Type: "about:blank", Title: statusTitle(status), Status: status, Detail: detail}
}

// statusTitle is the problem title for status.
func statusTitle(status int) string {
	if status == StatusClientClosedRequest {
		return "Client Closed Request"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}
