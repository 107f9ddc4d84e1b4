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
// its headers (Allow, Retry-After…). An *http.MaxBytesError is a 413 "Body
// exceeded N byte limit", as micro's body helpers word it. Any other error,
// a nil one included, is a 500 with no detail: its text is never sent.
//
// A status-carrying error with status 304 (micro.Preconditions's answer to
// a conditional GET) is no problem: it is sent as a bare 304 Not Modified
// with that error's headers, its message unsent and nothing logged; the
// body's Content-Type, Content-Length and Content-Encoding are removed.
//
// Every 5xx is logged once, with method, path and status, through the
// logger set by middleware.ErrorLogger (or middleware.Logger), else
// slog.Default(), or handed to the access-log middleware that reports it.
// 4xx are not logged, nor is context.Canceled once the client went away: it
// is answered with [StatusClientClosedRequest].
//
// The response carries X-Content-Type-Options: nosniff and replaces any
// Content-Type set before; HEAD gets the headers only. Call Error before
// anything is written: once the status is on the wire, nothing can change it.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	status, detail, hdr, public := classify(err, r)
	if status == http.StatusNotModified {
		writeNotModified(w, hdr) // micro.Preconditions's answer to a conditional GET
		return
	}
	switch {
	case public && status < 500:
		// The client's mistake, answered in full: nothing to log.
	case status == StatusClientClosedRequest && !public:
		report.ClientClosed(r, status)
	default:
		report.Report(r, err, status) // a 5xx, public or not, is the server's to fix
	}
	writeProblem(w, r, Problem{
		Type:   "about:blank",
		Title:  statusTitle(status),
		Status: status,
		Detail: detail,
	}, hdr)
}

// StatusCoder is the method [Error] looks for, with errors.As, to find an
// error's public status.
type StatusCoder interface {
	StatusCode() int
}

// classify returns the status, public detail and headers for err. Only an
// error that carries a 4xx or 5xx status is public.
func classify(err error, r *http.Request) (status int, detail string, hdr http.Header, public bool) {
	if err == nil {
		return http.StatusInternalServerError, "", nil, false
	}
	sc, ok := err.(StatusCoder) // the usual case, without errors.As's reflection
	if ok || errors.As(err, &sc) {
		if s := sc.StatusCode(); s >= 400 && s <= 599 || s == http.StatusNotModified {
			if e, ok := sc.(error); ok {
				detail = e.Error()
			}
			if h, ok := sc.(interface{ Header() http.Header }); ok {
				hdr = h.Header()
			}
			return s, detail, hdr, true
		}
	}
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		// A body cut by http.MaxBytesReader (middleware.BodyLimit) that the
		// route read itself: the client's mistake, as micro.JSON reports it.
		return http.StatusRequestEntityTooLarge, response.BodyTooLarge(mbe.Limit), nil, true
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return StatusClientClosedRequest, "", nil, false
	}
	return http.StatusInternalServerError, "", nil, false
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
