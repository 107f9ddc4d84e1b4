// Command comments is the comments demo of examples/comments with
// Prometheus metrics of its requests, by route:
//
//	go -C prommicro run ./cmd/comments -metrics 127.0.0.1:9090 [the flags of examples/comments]
//
// -metrics is the address of a second listener that serves only
// GET /metrics, apart from the API, so that the public port never shows
// them; without it the demo records nothing. An address that cannot be
// listened on is reported before the API listens, and the program exits 1.
package main

import (
	"context"
	"flag"
	"io"

	"github.com/microkit-go/micro/examples/comments/api"
)

func main() {
	api.Main(func(ctx context.Context, flags *flag.FlagSet, args []string, stderr io.Writer) error {
		return run(ctx, flags, args, stderr, options{})
	})
}
