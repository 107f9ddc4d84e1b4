package main

import (
	"context"
	"flag"
	"io"
	"strings"

	"github.com/microkit-go/micro/examples/comments/api"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/redisstore"
	"github.com/redis/rueidis"
)

// run is api.Run with the -redis and -redis-prefix flags: opts gets the
// store hook and the local failure mode; the client the hook opens is
// closed once api.Run has returned.
func run(ctx context.Context, flags *flag.FlagSet, args []string, stderr io.Writer, opts api.Options) error {
	addrs := flags.String("redis", "", "Redis or Valkey address, or a cluster's nodes separated by commas (default: counts in the process)")
	prefix := flags.String("redis-prefix", "comments:ratelimit:", "prefix of the limit's keys in Redis")
	var client rueidis.Client
	opts.OnStoreError = middleware.RateLimitFailLocal
	opts.RateLimitStore = func(ctx context.Context) (middleware.RateLimitStore, error) {
		if *addrs == "" {
			return nil, nil
		}
		var err error
		client, err = rueidis.NewClient(rueidis.ClientOption{InitAddress: strings.Split(*addrs, ",")})
		if err != nil {
			return nil, err
		}
		return redisstore.New(client, redisstore.Config{Prefix: *prefix})
	}
	err := api.Run(ctx, flags, args, stderr, opts)
	if client != nil {
		client.Close()
	}
	return err
}
