package servers

import (
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
		writeComment(w, s, chi.URLParam(r, "id"))
	})
	r.Post("/api/comments", func(w http.ResponseWriter, r *http.Request) {
		createComment(w, s, r.Body) // RequestSize limits it
	})
	return r
}
