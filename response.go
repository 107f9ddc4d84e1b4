package micro

import (
	"net/http"

	"github.com/microkit-go/micro/internal/response"
	"github.com/microkit-go/micro/send"
)

// Response is a value with a status and headers: what a route returns to
// answer anything but a plain 200 (Next.js's res.status(201).json(v)).
//
//	return &micro.Response{Status: http.StatusCreated, Body: comment}, nil
//
// Status 0 means 200. Header is copied onto the response before the body is
// sent; each key replaces what an earlier handler set, except Set-Cookie and
// Vary, which are added to. Body follows the rules of [send.Value]: nil sends
// just the status, and a Content-Type in Header wins over the one Body would
// get. A Status outside 200–599 is logged and answered with a 500 problem.
type Response struct {
	Status int
	Header http.Header
	Body   any
}

// ServeHTTP writes the response. A nil *Response is 204 No Content, like a
// nil value.
func (resp *Response) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if resp == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	response.MergeHeader(w.Header(), resp.Header)
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	send.Value(w, r, status, resp.Body)
}
