package micro

import (
	"net/http"
	"slices"
	"strings"

	"github.com/microkit-go/micro/send"
)

// Methods dispatches a request to the handler for its method: the
// switch (req.method) of a Next.js API route, with the edge cases answered.
//
//	mux.Handle("/api/comments", micro.Methods{
//		http.MethodGet:  micro.Handler(list),
//		http.MethodPost: micro.Handler(create),
//	})
//
// Keys are methods as sent on the wire; they are case-sensitive (RFC 9110
// §9.1), so "get" never matches. A nil handler counts as absent.
//
//   - HEAD without an entry is served by the GET handler; the response
//     carries its headers and no body.
//   - OPTIONS without an entry answers 204 with Allow.
//   - Any other method without an entry gets 405 Method Not Allowed with
//     Allow and a problem body.
//
// Allow lists the methods with a handler, plus HEAD when GET has one and
// OPTIONS, sorted and comma-separated.
type Methods map[string]http.Handler

// ServeHTTP dispatches r, as described on [Methods].
func (m Methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := m[r.Method]; h != nil {
		h.ServeHTTP(w, r)
		return
	}
	switch r.Method {
	case http.MethodHead:
		if h := m[http.MethodGet]; h != nil {
			h.ServeHTTP(w, r)
			return
		}
	case http.MethodOptions:
		w.Header().Set("Allow", m.allow())
		w.WriteHeader(http.StatusNoContent)
		return
	}
	allow := m.allow()
	send.Error(w, r, Errorf(http.StatusMethodNotAllowed, "Method %.64s is not allowed; allowed: %s", r.Method, allow).
		WithHeader("Allow", allow))
}

// allow is the Allow header value.
func (m Methods) allow() string {
	methods := make([]string, 0, len(m)+2)
	for k, h := range m {
		if h != nil {
			methods = append(methods, k)
		}
	}
	if m[http.MethodGet] != nil {
		methods = append(methods, http.MethodHead)
	}
	methods = append(methods, http.MethodOptions)
	slices.Sort(methods)
	return strings.Join(slices.Compact(methods), ", ")
}
