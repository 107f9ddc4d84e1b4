package servers

import (
	"encoding/json"
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
		c, ok := s.Get(r.PathValue("id"))
		if !ok {
			writeJSON(w, http.StatusNotFound, errorBody{"no such comment"})
			return
		}
		writeJSON(w, http.StatusOK, c)
	})
	mux.HandleFunc("POST /api/comments", func(w http.ResponseWriter, r *http.Request) {
		var nc NewComment
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, bodyLimit)).Decode(&nc); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{"invalid JSON body"})
			return
		}
		c, ok := s.Create(nc)
		if !ok {
			writeJSON(w, http.StatusUnprocessableEntity, errorBody{"text is required"})
			return
		}
		writeJSON(w, http.StatusCreated, c)
	})
	return mux
}

// errorBody is the error answer of the hand-written handlers.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON sends v as JSON with status, as a hand-written handler does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
