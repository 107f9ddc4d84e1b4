package interop_test

import (
	"io"
	"net/http"
	"net/url"
)

// stdRouter is the reference: the API on a std ServeMux, whose 1.22
// patterns set r.PathValue themselves, inside our chain. The pattern "/"
// matches every path no other pattern does, so it carries the 404 route.
func stdRouter(a *testAPI, logs io.Writer) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range a.routes() {
		mux.Handle(rt.path, rt.h)
	}
	mux.Handle("/", notFound)
	return testChain(logs).Then(mux)
}

// setEscapedPathValue sets r's path value name to escaped unescaped, as
// ServeMux sets its values; one that does not unescape is set as it is.
// It is for the adapters of routers that match the escaped path.
func setEscapedPathValue(r *http.Request, name, escaped string) {
	v, err := url.PathUnescape(escaped)
	if err != nil {
		v = escaped
	}
	r.SetPathValue(name, v)
}
