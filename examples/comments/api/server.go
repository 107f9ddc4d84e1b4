package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
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

// Serve serves srv on ln until ctx is done, then shuts srv down
// gracefully, logging that it does to logger: it stops accepting, lets
// the requests in flight finish for up to grace, and returns nil once
// they did. If serving fails, it returns that error; if requests are
// still in flight after grace, it closes their connections and returns
// an error that says so.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration, logger *slog.Logger) error {
	// Shutdown makes Serve return at once; it returns itself once the
	// requests in flight are done.
	shutdown := make(chan error, 1)
	defer context.AfterFunc(ctx, func() {
		logger.Info("shutting down", "grace", grace)
		graceCtx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		shutdown <- srv.Shutdown(graceCtx)
	})()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := <-shutdown; err != nil {
		srv.Close()
		return fmt.Errorf("requests still in flight after %s: %w", grace, err)
	}
	return nil
}
