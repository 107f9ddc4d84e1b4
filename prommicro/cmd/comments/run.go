package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/microkit-go/micro/examples/comments/api"
	"github.com/microkit-go/micro/prommicro"
	"github.com/prometheus/client_golang/prometheus"
)

// options are api.Options and what this command adds: MetricsListening,
// if not nil, is called with the metrics listener's address.
type options struct {
	api.Options
	MetricsListening func(net.Addr)
}

// run is api.Run with the -metrics flag: when it names an address, the
// requests are recorded by prommicro's middleware, around the whole
// server, and served on that address's /metrics until api.Run returns.
func run(ctx context.Context, flags *flag.FlagSet, args []string, stderr io.Writer, opts options) error {
	addr := flags.String("metrics", "", "address of a listener of its own that serves GET /metrics (default: no metrics)")
	var metrics *http.Server
	served := make(chan error, 1)
	opts.Middleware = func(context.Context) (func(http.Handler) http.Handler, error) {
		if *addr == "" {
			return nil, nil
		}
		reg := prometheus.NewRegistry()
		m, err := prommicro.New(reg, prommicro.Config{})
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return nil, err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { served <- metrics.Serve(ln) }()
		if opts.MetricsListening != nil {
			opts.MetricsListening(ln.Addr())
		}
		return m.Middleware, nil
	}
	err := api.Run(ctx, flags, args, stderr, opts.Options)
	if metrics != nil {
		metrics.Close() // a scrape in flight is cut: it will be retried
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	return err
}
