package micro

import (
	"net/http"

	"github.com/microkit-go/micro/send"
)

// Routes returns a handler that serves each request through mux, except
// one that matches no pattern, which ServeMux would answer with its own
// text/plain 404 or 405: Routes answers it with an RFC 9457 problem
// through [send.Error] instead, as every other error is answered.
//
//   - A path that no pattern matches is a 404 problem "No route for
//     <path>", the path cut to 200 characters.
//   - A path that a pattern matches for other methods only is a 405
//     problem, with the Allow header ServeMux computed ("GET, HEAD" for a
//     "GET /path" pattern).
//   - HEAD gets the headers only, as from [send.Error].
//
// It is how a server keeps "every error is a problem" with the README's
// first example:
//
//	mux.Handle("GET /api/comments", micro.Handler(list))
//	http.ListenAndServe(":3000", micro.Routes(mux))
//
// Everything else is left to ServeMux: matched routes, and its redirects
// (a missing trailing slash, a path with "..", "//" or "." to clean),
// even the redirect of a path that matches no pattern once cleaned. A
// request that matched nothing keeps an empty r.Pattern, so the
// middleware's access log records its route as "unmatched". Patterns
// registered on mux after Routes is called are seen.
//
// Cost: every request is looked up twice, once with
// [http.ServeMux.Handler] and once by [http.ServeMux.ServeHTTP], which
// sets r.Pattern and the path values (one allocation more than ServeMux
// alone on a matched route, with Go 1.26). A request that matches no
// pattern also runs the handler ServeMux would answer it with into a
// writer that keeps the status and header and discards the body, to learn
// whether it is a 404, a 405 and its Allow, or a redirect.
//
// A nil mux panics: it is a programming error.
func Routes(mux *http.ServeMux) http.Handler {
	if mux == nil {
		panic("micro: Routes needs a non-nil *http.ServeMux")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var c statusCapture
		h.ServeHTTP(&c, r)
		switch c.status {
		case http.StatusNotFound:
			send.Error(w, r, Errorf(http.StatusNotFound, "No route for %.200s", r.URL.Path))
		case http.StatusMethodNotAllowed:
			allow := c.header.Get("Allow")
			send.Error(w, r, Errorf(http.StatusMethodNotAllowed, "Method %.64s is not allowed; allowed: %s", r.Method, allow).
				WithHeader("Allow", allow))
		default: // a redirect to a cleaned path that matches no pattern
			mux.ServeHTTP(w, r)
		}
	})
}

// statusCapture is a ResponseWriter that keeps the status and header
// written to it and discards the body.
type statusCapture struct {
	status int
	header http.Header
}

// Header returns the header, made on first use.
func (c *statusCapture) Header() http.Header {
	if c.header == nil {
		c.header = make(http.Header, 3)
	}
	return c.header
}

// WriteHeader keeps the first status.
func (c *statusCapture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

// Write discards p, after an implied 200 as a ResponseWriter's Write has.
func (c *statusCapture) Write(p []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return len(p), nil
}
