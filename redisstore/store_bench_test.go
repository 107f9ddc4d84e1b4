package redisstore

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	httprateredis "github.com/go-chi/httprate-redis"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/redisstore/internal/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// BenchmarkTake is one request's work against one local server: Store.Take
// (impl=redisstore), and beside it httprate-redis v0.6.0's LimitCounter
// doing what httprate.Limit does per request under the same limit
// (impl=httprate-redis): Get (MGET of the current and previous window's
// counters), then IncrementBy (MULTI, INCRBY, EXPIRE, EXEC in one
// pipeline), through a go-redis client of default options. The limit
// (a billion per hour) admits every request, so both do their whole work.
// cmds/op is the commands the server received per request (INFO's
// total_commands_processed, less the script's own TIME, GET and SET);
// writes/op, in the sequential mode, the client's writes to its
// connection per request: its round trips.
//
//	go -C redisstore test -run '^$' -bench BenchmarkTake -benchmem -count 6 | benchstat -col /impl -
func BenchmarkTake(b *testing.B) {
	srv := redistest.Start(b)
	const limit, window = 1_000_000_000, time.Hour
	var writes atomic.Int64 // the clients' writes to their connections
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, writes: &writes}, nil
	}
	impls := []struct {
		name string
		open func(b *testing.B) func(ctx context.Context, key string) error
	}{
		{"impl=redisstore", func(b *testing.B) func(context.Context, string) error {
			c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()},
				DialCtxFn: func(ctx context.Context, addr string, _ *net.Dialer, _ *tls.Config) (net.Conn, error) {
					return dial(ctx, "tcp", addr)
				}})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Close)
			s, err := New(c, Config{})
			if err != nil {
				b.Fatal(err)
			}
			p := middleware.RateLimitPolicy{Interval: window / limit, Burst: limit}
			return func(ctx context.Context, key string) error {
				d, err := s.Take(ctx, key, p, 1)
				if err == nil && !d.Allowed {
					b.Fatal("refused")
				}
				return err
			}
		}},
		{"impl=httprate-redis", func(b *testing.B) func(context.Context, string) error {
			c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Dialer: dial})
			b.Cleanup(func() { c.Close() })
			counter := httprateredis.NewCounter(&httprateredis.Config{Client: c, WindowLength: window, FallbackDisabled: true})
			counter.Config(limit, window)
			return func(_ context.Context, key string) error {
				now := time.Now().UTC()
				cur := now.Truncate(window)
				if _, _, err := counter.Get(key, cur, cur.Add(-window)); err != nil {
					return err
				}
				return counter.IncrementBy(key, cur, 1)
			}
		}},
	}
	for _, impl := range impls {
		b.Run("mode=sequential/"+impl.name, func(b *testing.B) {
			take := impl.open(b)
			ctx := b.Context()
			if err := take(ctx, "bench:seq"); err != nil { // connected, script loaded
				b.Fatal(err)
			}
			before := sentCommands(b, srv)
			wrote := writes.Load()
			for b.Loop() {
				if err := take(ctx, "bench:seq"); err != nil {
					b.Fatal(err)
				}
			}
			// One request at a time, each write is one round trip.
			b.ReportMetric(float64(writes.Load()-wrote)/float64(b.N), "writes/op")
			b.ReportMetric(float64(sentCommands(b, srv)-before)/float64(b.N), "cmds/op")
		})
		b.Run("mode=parallel/"+impl.name, func(b *testing.B) {
			take := impl.open(b)
			ctx := b.Context()
			if err := take(ctx, "bench:warm"); err != nil {
				b.Fatal(err)
			}
			before := sentCommands(b, srv)
			var n atomic.Int64
			b.SetParallelism(clientParallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				key := "bench:par:" + strconv.FormatInt(n.Add(1), 10)
				for pb.Next() {
					if err := take(ctx, key); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(sentCommands(b, srv)-before)/float64(b.N), "cmds/op")
		})
	}
}

// countingConn counts the writes to a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// sentCommands returns the commands the server has received from clients,
// counting the INFO it asks with: total_commands_processed less the
// script's own TIME, GET and SET.
func sentCommands(b *testing.B, srv *redistest.Server) int {
	b.Helper()
	total, calls := commandStats(b, srv)
	return total + 1 - calls["time"] - calls["get"] - calls["set"]
}
