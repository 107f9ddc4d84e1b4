package main

import (
	"embed"
	"net/http"

	"github.com/microkit-go/micro"
)

//go:embed index.html
var page embed.FS

// routes returns the ticks route and the page, routed by a std ServeMux.
// The streams end when stopping is closed.
func routes(stopping <-chan struct{}) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/api/ticks", micro.Methods{
		http.MethodGet: micro.Handler(ticker{stopping}.ticks),
	})
	mux.Handle("/{$}", micro.Methods{
		http.MethodGet: http.FileServerFS(page),
	})
	mux.Handle("/", micro.Handler(func(r *http.Request) (any, error) {
		return nil, micro.Errorf(http.StatusNotFound, "No route for %.200s", r.URL.Path)
	}))
	return mux
}
