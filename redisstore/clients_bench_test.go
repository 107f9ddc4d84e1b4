package redisstore

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microkit-go/micro/redisstore/internal/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
	"github.com/valkey-io/valkey-go"
)

// The three Go clients of Redis and Valkey, each running takeScript with
// EVALSHA against one local server in the same run: the measurement behind
// the store's choice of rueidis. Each op is one admitted Take of cost 1
// (interval 1µs, a burst never reached), on a key of its own per
// goroutine, under a context with a deadline as the limiter's calls have.
//
//	go -C redisstore test -run '^$' -bench BenchmarkClients -benchmem -cpu 1,2 -count 6

// clientParallelism is the goroutines per GOMAXPROCS of the parallel
// benchmarks: a server answering many requests at once.
const clientParallelism = 16

// clientExec runs takeScript once for key.
type clientExec func(ctx context.Context, key string) error

func BenchmarkClients(b *testing.B) {
	srv := redistest.Start(b)
	clients := []struct {
		name string
		open func(b *testing.B) clientExec
	}{
		{"client=rueidis", func(b *testing.B) clientExec {
			c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Close)
			s := rueidis.NewLuaScript(takeScript)
			return func(ctx context.Context, key string) error {
				return s.Exec(ctx, c, []string{key}, []string{"1", "1000000000", "1"}).Error()
			}
		}},
		{"client=valkey-go", func(b *testing.B) clientExec {
			c, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{srv.Addr()}})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Close)
			s := valkey.NewLuaScript(takeScript)
			return func(ctx context.Context, key string) error {
				return s.Exec(ctx, c, []string{key}, []string{"1", "1000000000", "1"}).Error()
			}
		}},
		{"client=go-redis", func(b *testing.B) clientExec {
			c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			b.Cleanup(func() { c.Close() })
			s := redis.NewScript(takeScript)
			return func(ctx context.Context, key string) error {
				return s.Run(ctx, c, []string{key}, "1", "1000000000", "1").Err()
			}
		}},
	}
	for _, c := range clients {
		b.Run("mode=sequential/"+c.name, func(b *testing.B) {
			exec := c.open(b)
			ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
			defer cancel()
			for b.Loop() {
				if err := exec(ctx, "bench:seq"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("mode=parallel/"+c.name, func(b *testing.B) {
			exec := c.open(b)
			ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
			defer cancel()
			var n atomic.Int64
			b.SetParallelism(clientParallelism)
			b.RunParallel(func(pb *testing.PB) {
				key := "bench:par:" + strconv.FormatInt(n.Add(1), 10)
				for pb.Next() {
					if err := exec(ctx, key); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
