package interop_test

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

// chiPathValues is the chi adapter: chi v5.5 sets r.PathValue itself, but
// when the request path has escapes that are not the default encoding
// (%34%32, %2F, lower-case hex) chi matches the escaped path (URL.RawPath)
// and sets the values still escaped. This unescapes them, as ServeMux
// does. Mount it per route, where the values are known:
//
//	r.With(chiPathValues).Handle("/items/{id}", h)
func chiPathValues(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil && r.URL.RawPath != "" {
			for i, k := range rctx.URLParams.Keys {
				setEscapedPathValue(r, k, rctx.URLParams.Values[i])
			}
		}
		next.ServeHTTP(w, r)
	})
}

// chiRecordRoute is the chi route adapter: it records chi's route pattern
// ("/items/{id}", in ServeMux's syntax) for the log line's route. chi v5.5
// also sets r.Pattern, but on its own copy of the request (chi adds its
// route context with WithContext), which a Logger outside chi never sees:
// there only micro.Handler would record it, not a plain http.Handler nor
// micro.Methods' own 405 and OPTIONS answers. Mount it per route, with
// chiPathValues, so that chi's NotFound and MethodNotAllowed handlers log
// "unmatched":
//
//	r.With(chiPathValues, chiRecordRoute).Handle("/items/{id}", h)
//
// Outside a chi router (no route context) it records nothing.
func chiRecordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		middleware.SetRoute(r, chi.RouteContext(r.Context()).RoutePattern())
		next.ServeHTTP(w, r)
	})
}

// chiMethodNotAllowed answers the methods chi does not know (anything but
// the nine of RFC 9110 and PATCH, unless registered with chi's global
// chi.RegisterMethod): chi refuses them before routing, so the route's
// micro.Methods never sees them.
var chiMethodNotAllowed = micro.Handler(func(r *http.Request) (any, error) {
	return nil, micro.Errorf(http.StatusMethodNotAllowed, "Method %.64s is not allowed", r.Method)
})

// chiRoutes is a chi router with the API: every path for every method, our
// 404 and 405 routes, and the middleware mws in its r.Use slot, which runs
// before chi routes, so it also covers chi's 404 and 405 handlers.
func chiRoutes(a *testAPI, mws ...func(http.Handler) http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Use(mws...)
	r.NotFound(notFound.ServeHTTP)
	r.MethodNotAllowed(chiMethodNotAllowed.ServeHTTP)
	for _, rt := range a.routes() {
		r.With(chiPathValues, chiRecordRoute).Handle(rt.path, rt.h)
	}
	return r
}

// chiDifferences are where chi cannot answer as ServeMux does.
var chiDifferences = map[string]difference{
	"made-up method is micro's 405 with Allow": {
		why: "chi refuses a method outside its table before routing, so micro.Methods never runs; " +
			"chi's MethodNotAllowed handler (ours, set on the router) is told no allowed methods, so there is no Allow",
		want: answeredAs(http.StatusMethodNotAllowed, "Method BREW is not allowed"),
	},
}
