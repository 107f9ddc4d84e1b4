// Command comments is the comments demo of examples/comments with its
// limit on POST /api/comments kept in Redis or Valkey, so that several
// instances behind a load balancer enforce one limit together:
//
//	go -C redisstore run ./cmd/comments -redis 127.0.0.1:6379 [-redis-prefix comments:ratelimit:]
//		[the flags of examples/comments]
//
// -redis lists the server's address, or a cluster's nodes separated by
// commas. Without it the counts stay in the process, as in
// examples/comments. While Redis cannot answer, each instance limits on
// its own (middleware.RateLimitFailLocal), logging one line when that
// starts and one when Redis answers again. A -redis the client cannot
// connect to at start is reported and the program exits 1.
package main

import (
	"context"
	"flag"
	"io"

	"github.com/microkit-go/micro/examples/comments/api"
)

func main() {
	api.Main(func(ctx context.Context, flags *flag.FlagSet, args []string, stderr io.Writer) error {
		return run(ctx, flags, args, stderr, api.Options{})
	})
}
