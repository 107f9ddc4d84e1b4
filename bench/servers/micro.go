package servers

import (
	"io"
	"log/slog"
	"net/http"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

// Micro returns the API as micro.Handler routes on a ServeMux, with no
// middleware: micro.JSON reads the body (its errors are problems, such as
// 400 for invalid JSON), and micro.Errorf makes the 404 and the 422.
func Micro() http.Handler {
	return microMux(NewStore())
}

// MicroDefault returns the routes of [Micro] behind middleware.Default,
// logging JSON lines to io.Discard, with CORS for any origin (hence
// DisableCrossOrigin).
func MicroDefault() http.Handler {
	return microDefault(slog.NewJSONHandler(io.Discard, nil))
}

// MicroDefaultJSONHandler is [MicroDefault] logging through
// middleware.JSONHandler, which writes the same bytes as slog's JSON
// handler with its own encoder.
func MicroDefaultJSONHandler() http.Handler {
	return microDefault(middleware.NewJSONHandler(io.Discard, nil))
}

// microDefault returns the routes of [Micro] behind middleware.Default,
// logging to h, with CORS for any origin.
func microDefault(h slog.Handler) http.Handler {
	chain := middleware.Default(middleware.DefaultConfig{
		Logger:             slog.New(h),
		CORS:               &middleware.CORSConfig{AllowedOrigins: []string{"*"}},
		DisableCrossOrigin: true,
	})
	return chain.Then(microMux(NewStore()))
}

// microMux is the API over s as micro routes.
func microMux(s *Store) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /api/comments", micro.Handler(func(*http.Request) (any, error) {
		return s.Page(), nil
	}))
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(r *http.Request) (any, error) {
		c, ok := s.Get(r.PathValue("id"))
		if !ok {
			return nil, micro.Errorf(http.StatusNotFound, "No comment %.20q", r.PathValue("id"))
		}
		return c, nil
	}))
	mux.Handle("POST /api/comments", micro.Handler(func(r *http.Request) (any, error) {
		nc, err := micro.JSON[NewComment](r)
		if err != nil {
			return nil, err
		}
		c, ok := s.Create(nc)
		if !ok {
			return nil, micro.Errorf(http.StatusUnprocessableEntity, "The text is required")
		}
		return &micro.Response{Status: http.StatusCreated, Body: c}, nil
	}))
	return mux
}
