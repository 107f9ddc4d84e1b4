// Command existing-server is a plain net/http server, with no micro
// handlers, that adds the micro middleware to the routes it already has:
// the "drop it into a server you already run" case.
//
//	go run ./examples/existing-server [-addr :3001] [-trusted-proxies 10.0.0.0/8,...] [-access-log FILE]
//
// Routes (all hand-written net/http handlers):
//
//	GET  /healthz            "ok"
//	GET  /api/time           {"now": "..."} written with encoding/json
//	POST /api/echo           echoes a JSON body back (at most 16 KiB)
//	GET  /api/report         a 20 KB CSV report, gzip-compressed for clients that accept it
//	GET  /api/slow           sleeps 5s, longer than the 2s timeout: a 503 problem
//	GET  /api/panic          panics: a 500 problem, the stack only in the log
//
// Every request gets an X-Request-ID, one structured log line on stderr
// and, with -access-log, a Combined Log Format line in that file. -h
// prints the flags and exits 0; a bad flag exits 2.
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
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/justinas/alice"
	"github.com/microkit-go/micro/middleware"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "existing-server:", err)
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	trusted   []netip.Prefix
	accessLog io.Writer // nil: none
	timeout   time.Duration
}

// run parses args (exiting 0 after the usage on -h, 2 on a bad flag),
// serves until SIGINT or SIGTERM, then shuts down gracefully.
func run(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	flags := flag.NewFlagSet("existing-server", flag.ExitOnError)
	addr := flags.String("addr", ":3001", "address to listen on")
	proxies := flags.String("trusted-proxies", "", "comma-separated CIDR prefixes of proxies whose X-Forwarded-For is believed")
	accessLog := flags.String("access-log", "", "file to append Combined Log Format lines to")
	if err := flags.Parse(args); err != nil {
		return err
	}
	cfg := config{timeout: 2 * time.Second}
	for p := range strings.SplitSeq(*proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return fmt.Errorf("-trusted-proxies: %w", err)
		}
		cfg.trusted = append(cfg.trusted, prefix)
	}
	if *accessLog != "" {
		f, err := os.OpenFile(*accessLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.accessLog = f
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newHandler(logger, cfg),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler wraps the server's existing mux in the middleware chain.
func newHandler(logger *slog.Logger, cfg config) http.Handler {
	chain := alice.New(middleware.RequestID(), middleware.ClientIP(cfg.trusted...))
	if cfg.accessLog != nil {
		chain = chain.Append(middleware.AccessLog(cfg.accessLog))
	}
	chain = chain.Append(
		middleware.Logger(logger),
		middleware.Recover(),
		middleware.BodyLimit(16<<10),
		middleware.Compress(middleware.CompressConfig{}),
		middleware.Timeout(cfg.timeout),
	)
	return chain.Then(existingMux())
}
