package middleware

import (
	"net/http"

	"github.com/microkit-go/micro/internal/report"
	"github.com/microkit-go/micro/internal/state"
)

// RouteUnmatched is the route of a request that matched none: what
// [RouteFrom] returns and [Logger] logs when no route was recorded. A
// catch-all route that answers 404 records it with [SetRoute], so that its
// requests count as matching none.
const RouteUnmatched = report.Unmatched

// SetRoute records pattern as the route that serves r, for [Logger]'s
// route attribute and for [RouteFrom]: the one line a router other than
// http.ServeMux needs, in a middleware of its own that runs once it has
// matched (chi: chi.RouteContext(r.Context()).RoutePattern(); gorilla/mux:
// mux.CurrentRoute(r).GetPathTemplate(); gin: c.FullPath(); echo:
// c.Path()). A ServeMux needs nothing: its r.Pattern is read, and
// micro.Handler records it too. Record a template, never a raw path, so
// that a route's values stay as few as the routes. Without one of this
// package's middlewares before it in the chain, SetRoute does nothing; an
// empty pattern clears what was recorded.
func SetRoute(r *http.Request, pattern string) {
	if s := state.From(r.Context()); s != nil {
		s.Data.Route = pattern
	}
}

// RouteFrom returns the route that served r: the pattern [SetRoute],
// micro.Handler or [Timeout] recorded, else r.Pattern (which
// http.ServeMux sets on the request it hands its handler), else
// "unmatched": the route of a request that matched none, or that has not
// been routed yet (RouteFrom called before the router ran).
func RouteFrom(r *http.Request) string {
	return report.Route(r)
}
