package api

import (
	"context"
	"crypto/rand"
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

	"github.com/microkit-go/micro/middleware"
)

// Options are what a command that serves the example adds to [Run]
// beyond its flags.
type Options struct {
	// Listening, if not nil, is called with the address once the server
	// accepts connections.
	Listening func(net.Addr)

	// RateLimitStore, if not nil, supplies the store that the limit on
	// POST /api/comments keeps its counts in, so that several servers
	// enforce one limit. A command with such a store (the redisstore
	// module's, say) uses it in three steps:
	//
	//	flags := flag.NewFlagSet("comments", flag.ExitOnError)
	//	addr := flags.String("redis", "", "Redis address") // 1. its own flags, on Run's set
	//	var client rueidis.Client
	//	err := api.Run(ctx, flags, os.Args[1:], os.Stderr, api.Options{
	//		RateLimitStore: func(ctx context.Context) (middleware.RateLimitStore, error) {
	//			if *addr == "" { // 2. read in the hook: Run has parsed them
	//				return nil, nil // the limiter's own memory
	//			}
	//			var err error
	//			if client, err = rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{*addr}}); err != nil {
	//				return nil, err
	//			}
	//			return redisstore.New(client, redisstore.Config{})
	//		},
	//		OnStoreError: middleware.RateLimitFailLocal,
	//	})
	//	if client != nil { // 3. close what the hook opened, once Run returned
	//		client.Close()
	//	}
	//
	// Run calls it once, after parsing the flags and checking the
	// configuration and before opening the data file or listening, and
	// only when there is a limit (-post-limit is not 0); ctx is Run's. A
	// nil store with a nil error keeps the limiter's own memory. An error
	// is returned by Run, as "rate limit store: " and its text (errors.Is
	// finds it), and nothing listens. The -h usage lists the command's own
	// flags with Run's.
	RateLimitStore func(ctx context.Context) (middleware.RateLimitStore, error)

	// OnStoreError is what the POST limit does while the store of
	// RateLimitStore fails: the zero value, [middleware.RateLimitFailClosed],
	// refuses POSTs with a 503; [middleware.RateLimitFailLocal] limits
	// each server on its own. When there is a limit, Run refuses an
	// unknown value with the message of
	// [middleware.RateLimitConfig.Validate].
	OnStoreError middleware.RateLimitFailure

	// Middleware, if not nil, supplies a middleware put around the whole
	// server, outside its chain: metrics or tracing from a command of its
	// own (prommicro's, say), which registers its flags on Run's set and
	// reads them here. Run calls it once, after the flags are parsed and
	// the configuration checked, before listening; ctx is Run's, done
	// when the server stops. A nil middleware with a nil error adds
	// nothing; an error is returned by Run, and nothing listens.
	Middleware func(ctx context.Context) (func(http.Handler) http.Handler, error)
}

// Run is the comments command: it registers its flags on flags (-addr,
// -data, -grace, -cors-origins, -cookie-key, -trusted-proxies,
// -post-limit, -post-window;
// see the command's doc), parses args with them, serves until ctx is
// done, then shuts down gracefully. Usage and the log go to stderr.
//
// A flag error is returned as flags returns it (flag.ErrHelp for -h),
// unless flags exits on errors. Unexpected arguments, a configuration
// that [Config.Validate] refuses, an error of opts.RateLimitStore and a
// data file that cannot be opened are returned before anything listens;
// a serving error, or requests still in flight after -grace, once the
// server stopped.
func Run(ctx context.Context, flags *flag.FlagSet, args []string, stderr io.Writer, opts Options) error {
	flags.SetOutput(stderr)
	addr := flags.String("addr", ":3000", "address to listen on")
	data := flags.String("data", "", "file to keep comments in, a log of JSON lines, created if missing (default: memory only)")
	grace := flags.Duration("grace", 10*time.Second, "how long requests in flight may take to finish on shutdown")
	origins := flags.String("cors-origins", "", "comma-separated origins whose pages may call the API with cookies")
	cookieKey := flags.String("cookie-key", "", "key that signs the visitor cookie, at least 32 bytes (default: random at start)")
	proxies := flags.String("trusted-proxies", "", "comma-separated addresses or prefixes (10.0.0.0/8) of the proxies whose X-Forwarded-For is believed")
	limit := flags.Int64("post-limit", DefaultPostLimit, "comments each client address may post per -post-window (0: no limit)")
	window := flags.Duration("post-window", DefaultPostWindow, "the span -post-limit counts over: a whole number of seconds")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	cfg := Config{Logger: logger, CookieKey: []byte(*cookieKey), PostLimit: postLimit(*limit, *window, nil, opts.OnStoreError)}
	for o := range strings.SplitSeq(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}
	for p := range strings.SplitSeq(*proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := parsePrefix(p)
		if err != nil {
			return fmt.Errorf("-trusted-proxies: %w", err)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, prefix)
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
	wrap := func(h http.Handler) http.Handler { return h }
	if opts.Middleware != nil {
		mw, err := opts.Middleware(ctx)
		if err != nil {
			return fmt.Errorf("middleware: %w", err)
		}
		if mw != nil {
			wrap = mw
		}
	}
	if cfg.PostLimit != nil && opts.RateLimitStore != nil {
		store, err := opts.RateLimitStore(ctx)
		if err != nil {
			return fmt.Errorf("rate limit store: %w", err)
		}
		cfg.PostLimit.Store = store
	}

	s := NewMemoryStore(Seed())
	if *data != "" {
		var err error
		if s, err = OpenStore(*data, Seed()); err != nil {
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
	if opts.Listening != nil {
		opts.Listening(ln.Addr())
	}
	return Serve(ctx, NewServer(ctx, wrap(NewHandler(s, cfg)), logger), ln, *grace, logger)
}

// parsePrefix parses a prefix ("10.0.0.0/8") or a lone address, which is
// its own prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.ParsePrefix(s)
}

// Main is the body of a comments command's main: run gets a context done
// on SIGINT or SIGTERM, a flag set that exits on a bad flag (2) or -h
// (0), the arguments and stderr; an error it returns is printed as
// "comments: " and its text, and the program exits 1.
func Main(run func(ctx context.Context, flags *flag.FlagSet, args []string, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, flag.NewFlagSet("comments", flag.ExitOnError), os.Args[1:], os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "comments:", err)
		os.Exit(1)
	}
}
