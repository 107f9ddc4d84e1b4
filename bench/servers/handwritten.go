package servers

import (
	"encoding/json"
	"io"
	"net/http"
)

// The handlers written by hand, shared by [NetHTTP], [Chi] and [Gorilla]:
// each router reads the path parameter and limits the body its own way.

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

// writeComment answers with the comment whose ID is id, or a 404.
func writeComment(w http.ResponseWriter, s *Store, id string) {
	c, ok := s.Get(id)
	if !ok {
		writeJSON(w, http.StatusNotFound, errorBody{"no such comment"})
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// createComment decodes a [NewComment] from body and answers 201 with the
// created comment; 400 when body is not JSON (or is cut by a limit), 422
// when the text is empty.
func createComment(w http.ResponseWriter, s *Store, body io.Reader) {
	var nc NewComment
	if err := json.NewDecoder(body).Decode(&nc); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{"invalid JSON body"})
		return
	}
	c, ok := s.Create(nc)
	if !ok {
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{"text is required"})
		return
	}
	writeJSON(w, http.StatusCreated, c)
}
