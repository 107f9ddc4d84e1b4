package interop_test

import (
	"net/http"

	"github.com/gorilla/mux"
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

// gorillaRoutes is a gorilla router with the API, every path for every
// method, and the middleware mws in its r.Use slot. gorilla runs r.Use
// middleware only for matched routes, never for its NotFoundHandler, so
// the 404 route is wrapped in mws by hand.
func gorillaRoutes(a *testAPI, mws ...func(http.Handler) http.Handler) http.Handler {
	r := mux.NewRouter().UseEncodedPath()
	for _, mw := range mws {
		r.Use(mw)
	}
	r.Use(gorillaPathValues)
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
