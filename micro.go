// Package micro makes JSON API routes as short as a Next.js API route or a
// Vercel Micro handler, on plain net/http.
//
// A route is a [Handler]: a function from the request to what to send.
//
//	mux.Handle("GET /api/comments", micro.Handler(func(r *http.Request) (any, error) {
//		return comments, nil
//	}))
//
// The value becomes the response through [send.Value] (a struct is JSON, a
// string text, bytes and readers a stream, nil a 204), an error becomes an
// RFC 9457 problem through [send.Error], and [Response] sets a status or
// headers. [JSON], [Text] and [Buffer] read request bodies with a limit and
// clear 4xx errors, [JSON] calling the value's Validate method (a 422 with
// field errors, see [Invalid]); [Form] and [Multipart] read forms and
// uploads within bounds; [Preconditions] answers conditional requests (412,
// 304); [Methods] dispatches on the method with a correct 405, and
// [Routes] makes a ServeMux's 404 and 405 problems too.
package micro

import (
	"net/http"

	"github.com/microkit-go/micro/internal/report"
	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/send"
)

// Handler is an API route: it returns the value to send or an error.
//
// Handler is an http.Handler, so it mounts on any router. Its ServeHTTP
// calls the function and sends the result:
//
//   - an error goes through [send.Error]: a status-carrying error (such as
//     [*Error]) is sent with its status and message, any other error is a 500
//     whose text is only logged;
//   - a nil value is 204 No Content with no body;
//   - any other value goes through [send.Value] with status 200; return a
//     [*Response] to choose the status and headers.
//
// A panic in the function is treated like a returned error, the one
// [Recovered] makes of it: a 500 problem, logged with its stack.
// http.ErrAbortHandler is panicked again, so it keeps aborting the
// connection. A panic in the producer of a [Stream] is treated the same way
// (an error item once the stream has started); a panic while any other
// value is being written (inside a returned http.Handler, say) is not
// caught here.
type Handler func(r *http.Request) (any, error)

// ServeHTTP calls h and sends its result, as described on [Handler], then
// removes the temporary files of a form [Multipart] read from r. It
// records r.Pattern, set by the http.ServeMux that routed r, as the route
// the log line and middleware.RouteFrom report, even when a middleware
// between the two cloned the request.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Pattern != "" {
		if s := state.From(r.Context()); s != nil {
			s.Data.Route = r.Pattern
		}
	}
	defer removeMultipart(r)
	v, err := h.call(r)
	switch {
	case err != nil:
		send.Error(w, r, err)
	case v == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		send.Value(w, r, http.StatusOK, v)
	}
}

// call runs h, turning a panic into an error.
func (h Handler) call(r *http.Request) (v any, err error) {
	defer report.OnPanic(func(p any) { v, err = nil, Recovered(p) })
	return h(r)
}
