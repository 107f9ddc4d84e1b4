package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/microkit-go/micro/examples/comments/api"
)

// server is the comments example served in process as its program serves
// it: a handler behind [api.NewServer], on a free port of 127.0.0.1.
type server struct {
	addr   string       // host:port
	srv    *http.Server // from api.NewServer
	served chan error   // srv.Serve's result
}

// startServer serves handler as the program does, with adjust, if not
// nil, applied to the server first. The server is closed when the test
// ends, if shutdown did not stop it before.
func startServer(t *testing.T, handler http.Handler, logger *slog.Logger, adjust func(*http.Server)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{
		addr:   ln.Addr().String(),
		srv:    api.NewServer(t.Context(), handler, logger),
		served: make(chan error, 1),
	}
	if adjust != nil {
		adjust(s.srv)
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	t.Cleanup(func() { s.srv.Close() }) // when a check stops the test early
	return s
}

// shutdown stops the server as the program does on SIGTERM: Shutdown,
// which lets requests in flight finish for up to grace. It returns an
// error unless they did and Serve returned http.ErrServerClosed.
func (s *server) shutdown(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("Shutdown: %w", err)
	}
	if err := <-s.served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
	return nil
}
