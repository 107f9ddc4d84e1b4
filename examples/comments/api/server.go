package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

//go:embed comments.json
var seedJSON []byte

// Seed returns the comments a new store starts with: those of the
// embedded comments.json. It panics if that file is not a JSON array of
// comments, which only a broken build can make.
func Seed() []Comment {
	var seed []Comment
	if err := json.Unmarshal(seedJSON, &seed); err != nil {
		panic(fmt.Sprintf("embedded comments.json: %v", err))
	}
	return seed
}

// NewServer returns the server of the example: handler behind timeouts
// that bound slow clients (headers within 5 s, a whole request within
// 30 s), a 64 KiB header limit, and net/http's own errors logged to logger
// as warnings. Requests' contexts carry ctx's values but not its
// cancellation, so a shutdown lets requests in flight finish.
func NewServer(ctx context.Context, handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}
