package interop_test

import (
	"net/http"

	"github.com/gorilla/mux"
	"github.com/microkit-go/micro/middleware"
)

// gorillaPathValues is the gorilla/mux adapter: it copies mux.Vars into
// r.PathValue. Add it with r.Use, whose middleware runs once a route has
// matched. The router must route on the escaped path
// (r.UseEncodedPath()), or an escaped slash (%2F) splits a parameter in
// two; its vars are then escaped, so they are unescaped here, as ServeMux
// does.
func gorillaPathValues(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range mux.Vars(r) {
			setEscapedPathValue(r, k, v)
		}
		next.ServeHTTP(w, r)
	})
}

// gorillaRecordRoute is the gorilla/mux route adapter: it records the
// matched route's path template ("/items/{id}", in ServeMux's syntax) for
// the log line's route. Add it with r.Use after our chain: gorilla runs it
// only for a matched route, so its NotFoundHandler logs "unmatched". A
// route without a path template (one matched on its host or headers
// only) records nothing.
func gorillaRecordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cr := mux.CurrentRoute(r); cr != nil {
			if tpl, err := cr.GetPathTemplate(); err == nil {
				middleware.SetRoute(r, tpl)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// gorillaRoutes is a gorilla router with the API, every path for every
// method, and the middleware mws in its r.Use slot. gorilla runs r.Use
// middleware only for matched routes, never for its NotFoundHandler, so
// the 404 route is wrapped in mws by hand.
func gorillaRoutes(a *testAPI, mws ...func(http.Handler) http.Handler) http.Handler {
	r := mux.NewRouter().UseEncodedPath()
	for _, mw := range mws {
		r.Use(mw)
	}
	r.Use(gorillaPathValues, gorillaRecordRoute)
	var nf http.Handler = notFound
	for i := len(mws) - 1; i >= 0; i-- {
		nf = mws[i](nf)
	}
	r.NotFoundHandler = nf
	for _, rt := range a.routes() {
		r.Handle(rt.path, rt.h)
	}
	return r
}
