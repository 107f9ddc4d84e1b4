// Command comments serves the comments API of the micro README and the small
// page that uses it.
//
//	go run ./examples/comments [-addr :3000] [-data comments.json]
//		[-cors-origins https://app.example.com,...] [-cookie-key KEY]
//
// Routes:
//
//	GET  /api/comments       a page of the comments, oldest first
//	GET  /api/comments/{id}  {"post": id, "comments": [...]}, paged the same way
//	POST /api/comments       {"comment": "..."}: 201 with the stored comment
//	GET  /api/visitor        {"visitor": id, "new": bool}, kept in a signed cookie
//	GET  /                   a page that lists and posts comments
//
// The lists are paged: ?limit=N (1 to 100, default 50) and ?cursor=C, a
// cursor from the Link header's rel="next" or rel="prev" link, or "newest"
// for the newest page; see page.go.
//
// Without -data the comments live in memory, seeded from the embedded
// comments.json. With -data they are kept in that file (created if
// missing): a log of one JSON line per comment that each save appends to
// and fsyncs, and a POST is answered only once its comment is on disk. A
// file in the first format, a JSON array, is converted on start; a torn
// last line, left by a crash during an append, is cut (and logged); any
// other file is refused and left as it is. A data file serves one server:
// a second one given it refuses to save rather than write over the first's
// comments. See datafile.go.
//
// Every request goes through the middleware chain of newHandler, logging
// one line per request to stderr. -cors-origins lists the pages on other
// origins that may call the API with cookies (CORS with credentials, and
// trusted by the CSRF protection); -cookie-key signs the visitor cookie
// (at least 32 bytes; without it a random key is made at start, so
// cookies do not survive a restart).
//
// SIGINT or SIGTERM stops the server gracefully: it stops accepting, lets
// requests in flight finish for up to -grace, then exits.
package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

//go:embed comments.json
var seedJSON []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "comments:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx is done, then shuts down gracefully.
// listening, if not nil, is called with the address once it accepts.
func run(ctx context.Context, args []string, stderr io.Writer, listening func(net.Addr)) error {
	flags := flag.NewFlagSet("comments", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", ":3000", "address to listen on")
	data := flags.String("data", "", "file to keep comments in, a log of JSON lines, created if missing (default: memory only)")
	grace := flags.Duration("grace", 10*time.Second, "how long requests in flight may take to finish on shutdown")
	origins := flags.String("cors-origins", "", "comma-separated origins whose pages may call the API with cookies")
	cookieKey := flags.String("cookie-key", "", "key that signs the visitor cookie, at least 32 bytes (default: random at start)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	cfg := config{logger: logger, cookieKey: []byte(*cookieKey)}
	for o := range strings.SplitSeq(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.corsOrigins = append(cfg.corsOrigins, o)
		}
	}
	switch {
	case *cookieKey == "":
		cfg.cookieKey = []byte(rand.Text() + rand.Text()) // 52 random base32 characters, 260 bits
	case len(cfg.cookieKey) < 32:
		return fmt.Errorf("-cookie-key must be at least 32 bytes, not %d", len(cfg.cookieKey))
	}
	if err := cfg.validate(); err != nil {
		return err // main prints it and exits 1
	}

	var seed []Comment
	if err := json.Unmarshal(seedJSON, &seed); err != nil {
		return fmt.Errorf("embedded comments.json: %w", err)
	}
	s := newMemoryStore(seed)
	if *data != "" {
		var err error
		if s, err = openStore(*data, seed); err != nil {
			return err
		}
		if s.dropped > 0 {
			logger.Warn("cut a torn last line from the data file", "data", *data, "bytes", s.dropped)
		}
	}

	handler := newHandler(s, cfg)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := newServer(ctx, handler, logger)
	logger.Info("listening", "addr", ln.Addr().String(), "data", *data)
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

// newServer returns the server that run starts: handler behind timeouts
// that bound slow clients (headers within 5 s, a whole request within
// 30 s), a 64 KiB header limit, and net/http's own errors logged as
// warnings. Requests' contexts carry ctx's values but not its
// cancellation, so a shutdown lets requests in flight finish.
func newServer(ctx context.Context, handler http.Handler, logger *slog.Logger) *http.Server {
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
