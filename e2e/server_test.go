package e2e

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/microkit-go/micro/examples/comments/api"
)

// server is the comments example served in process as its program serves
// it: a handler behind [api.NewServer] and [api.Serve], on a free port of
// 127.0.0.1.
type server struct {
	addr   string             // host:port
	srv    *http.Server       // from api.NewServer
	stop   context.CancelFunc // begins the shutdown, as SIGTERM does
	served chan error         // api.Serve's result
}

// startServer serves handler as the program does with -grace grace, with
// adjust, if not nil, applied to the server first. The server is closed
// when the test ends, if shutdown did not stop it before.
func startServer(t *testing.T, handler http.Handler, logger *slog.Logger, grace time.Duration, adjust func(*http.Server)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	s := &server{
		addr:   ln.Addr().String(),
		srv:    api.NewServer(ctx, handler, logger),
		stop:   stop,
		served: make(chan error, 1),
	}
	if adjust != nil {
		adjust(s.srv)
	}
	go func() { s.served <- api.Serve(ctx, s.srv, ln, grace, logger) }()
	t.Cleanup(func() { s.srv.Close() }) // when a check stops the test early
	return s
}

// shutdown stops the server as the program does on SIGTERM, and returns
// what api.Serve then returns: nil once the requests in flight finished
// within the grace period. Only the first call may be waited for.
func (s *server) shutdown() error {
	s.stop()
	return <-s.served
}
