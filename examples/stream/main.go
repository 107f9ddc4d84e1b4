// Command stream serves a stream of ticks, as NDJSON to curl and as
// server-sent events to the page's EventSource.
//
//	go run ./examples/stream [-addr :3002] [-grace 10s]
//
// Routes:
//
//	GET /api/ticks?n=N&every=DURATION  N items {"tick": i}, i from 1, one every DURATION
//	GET /                              a page that shows the ticks as they arrive
//
// every is a Go duration from 10ms to 1h (default 1s); n is an integer from
// 1 to 1000000000 (default: no end). Anything else is a 400 problem naming
// the parameter. The first tick is sent at once. Try it with curl -N (no
// buffering), which gets NDJSON, one JSON value per line:
//
//	curl -N 'http://localhost:3002/api/ticks?n=5&every=200ms'
//
// and, asking for server-sent events as an EventSource does:
//
//	curl -N -H 'Accept: text/event-stream' 'http://localhost:3002/api/ticks?n=5&every=200ms'
//
// Each event's id is its tick: an EventSource that loses the connection
// reconnects with Last-Event-ID and the stream resumes at the next tick
// (try -H 'Last-Event-ID: 3'). When no tick is left it gets 204 No
// Content, which makes an EventSource stop reconnecting. A Last-Event-ID
// that is not a tick's id is a 400.
//
// Every request goes through [middleware.Default], logging one line per
// request to stderr when it ends (for a stream: when the stream ends, with
// the bytes streamed). Streams are sent uncompressed, flushed item by
// item, even to a client that accepts gzip: a gzip writer would hold
// about 800 KiB for as long as the stream lasts (see
// [middleware.CompressConfig] Streams). A client that stops reading
// without leaving ends its stream after send.DefaultWriteTimeout.
//
// SIGINT or SIGTERM stops the server gracefully: it stops accepting, ends
// the open streams at once (an EventSource reconnects when the server is
// back, and resumes), lets other requests in flight finish for up to
// -grace, then exits. -h prints the flags and exits 0; a bad flag exits 2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/microkit-go/micro/middleware"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, flag.NewFlagSet("stream", flag.ExitOnError), os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "stream:", err)
		os.Exit(1)
	}
}

// run parses args with flags (main's exit on -h with 0, on a bad flag
// with 2), serves until ctx is done, then shuts down gracefully.
// listening, if not nil, is called with the address once it accepts.
func run(ctx context.Context, flags *flag.FlagSet, args []string, stderr io.Writer, listening func(net.Addr)) error {
	flags.SetOutput(stderr)
	addr := flags.String("addr", ":3002", "address to listen on")
	grace := flags.Duration("grace", 10*time.Second, "how long requests in flight may take to finish on shutdown")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// The streams watch stopping, which Shutdown closes as it begins: an
	// open stream would otherwise keep Shutdown waiting for the whole
	// grace period, since it ends only when its client leaves.
	stopping := make(chan struct{})
	srv := &http.Server{
		Handler:           newHandler(logger, stopping),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second, // the request; net/http lifts it once a body-less request is read
		// No WriteTimeout: each stream sets a write deadline per item
		// (send.Stream's WriteTimeout), which replaces the server's.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(sync.OnceFunc(func() { close(stopping) })) // once, however often Shutdown is called
	logger.Info("listening", "addr", ln.Addr().String())
	if listening != nil {
		listening(ln.Addr())
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	logger.Info("shutting down", "grace", *grace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		return fmt.Errorf("requests still in flight after %s: %w", *grace, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler returns the routes behind the default middleware chain:
// request IDs, client IP, one log line per request, panic recovery, the
// body limit and gzip (which leaves streams uncompressed). There is no
// Timeout middleware: a stream lasts as long as its client wants it.
func newHandler(logger *slog.Logger, stopping <-chan struct{}) http.Handler {
	return middleware.Default(middleware.DefaultConfig{Logger: logger}).Then(routes(stopping))
}
