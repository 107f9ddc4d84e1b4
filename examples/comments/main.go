// Command comments serves the comments API of the micro README and the small
// page that uses it; package [api] holds its routes, store and page.
//
//	go run ./examples/comments [-addr :3000] [-data comments.json] [-grace 10s]
//		[-cors-origins https://app.example.com,...] [-cookie-key KEY]
//
// Without -data the comments live in memory, seeded from the embedded
// comments.json. With -data they are kept in that file, created if
// missing (see [api.OpenStore]); a torn last line cut from it is logged.
//
// Every request goes through the middleware chain of [api.Chain], logging
// one line per request to stderr. -cors-origins lists the pages on other
// origins that may call the API with cookies (CORS with credentials, and
// trusted by the CSRF protection); -cookie-key signs the visitor cookie
// (at least 32 bytes; without it a random key is made at start, so
// cookies do not survive a restart). A configuration the middleware
// refuses is reported before anything listens, and the program exits 1;
// -h prints the flags and exits 0, a bad flag exits 2.
//
// SIGINT or SIGTERM stops the server gracefully: it stops accepting, lets
// requests in flight finish for up to -grace, then exits.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/microkit-go/micro/examples/comments/api"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, flag.NewFlagSet("comments", flag.ExitOnError), os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "comments:", err)
		os.Exit(1)
	}
}

// run parses args with flags (main's exit on -h with 0, on a bad flag
// with 2), serves until ctx is done, then shuts down gracefully.
// listening, if not nil, is called with the address once it accepts.
func run(ctx context.Context, flags *flag.FlagSet, args []string, stderr io.Writer, listening func(net.Addr)) error {
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
	cfg := api.Config{Logger: logger, CookieKey: []byte(*cookieKey)}
	for o := range strings.SplitSeq(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}
	switch {
	case *cookieKey == "":
		cfg.CookieKey = []byte(rand.Text() + rand.Text()) // 52 random base32 characters, 260 bits
	case len(cfg.CookieKey) < 32:
		return fmt.Errorf("-cookie-key must be at least 32 bytes, not %d", len(cfg.CookieKey))
	}
	if err := cfg.Validate(); err != nil {
		return err // main prints it and exits 1
	}

	s := api.NewMemoryStore(api.Seed())
	if *data != "" {
		var err error
		if s, err = api.OpenStore(*data, api.Seed()); err != nil {
			return err
		}
		if n := s.Dropped(); n > 0 {
			logger.Warn("cut a torn last line from the data file", "data", *data, "bytes", n)
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", ln.Addr().String(), "data", *data)
	if listening != nil {
		listening(ln.Addr())
	}
	return api.Serve(ctx, api.NewServer(ctx, api.NewHandler(s, cfg), logger), ln, *grace, logger)
}
