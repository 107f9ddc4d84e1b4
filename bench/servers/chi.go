package servers

import (
	"encoding/json"
	"io"
	"log"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/rs/cors"
)

// Chi returns the API on a chi router with the middleware a chi user
// adds: RequestID, the request logger (to io.Discard), Recoverer,
// RequestSize at 1 MiB and rs/cors allowing any origin. The handlers are
// in chi's style: chi.URLParam and encoding/json, with the error bodies of
// [NetHTTP].
func Chi() http.Handler {
	s := NewStore()
	r := chi.NewRouter()
	r.Use(
		middleware.RequestID,
		middleware.RequestLogger(&middleware.DefaultLogFormatter{Logger: log.New(io.Discard, "", log.LstdFlags), NoColor: true}),
		middleware.Recoverer,
		middleware.RequestSize(bodyLimit),
		cors.AllowAll().Handler,
	)
	r.Get("/api/comments", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Page())
	})
	r.Get("/api/comments/{id}", func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.Get(chi.URLParam(r, "id"))
		if !ok {
			writeJSON(w, http.StatusNotFound, errorBody{"no such comment"})
			return
		}
		writeJSON(w, http.StatusOK, c)
	})
	r.Post("/api/comments", func(w http.ResponseWriter, r *http.Request) {
		var nc NewComment
		if err := json.NewDecoder(r.Body).Decode(&nc); err != nil {
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
	return r
}
