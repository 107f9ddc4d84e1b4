package servers

import (
	"net/http"
)

// NetHTTP returns the hand-written baseline: a ServeMux with method
// patterns, encoding/json and http.MaxBytesReader at 1 MiB. Errors are
// {"error": "..."} objects: 404 for an unknown comment, 400 for a body that
// is not JSON or over the limit, 422 for an empty text.
func NetHTTP() http.Handler {
	return netHTTPMux(NewStore())
}

// netHTTPMux is the baseline's mux over s, shared with [Gorilla].
func netHTTPMux(s *Store) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/comments", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Page())
	})
	mux.HandleFunc("GET /api/comments/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeComment(w, s, r.PathValue("id"))
	})
	mux.HandleFunc("POST /api/comments", func(w http.ResponseWriter, r *http.Request) {
		createComment(w, s, http.MaxBytesReader(w, r.Body, bodyLimit))
	})
	return mux
}
