package middleware_test

import (
	"context"
	"fmt"
	"time"

	"github.com/microkit-go/micro/middleware"
)

// A key with a burst of 2, restored one unit an hour, is admitted twice
// and then refused for about an hour. Times are rounded up to the second,
// as the RateLimit and Retry-After headers give them.
func ExampleRateLimitMemory() {
	store := middleware.NewRateLimitMemory(middleware.DefaultRateLimitKeys)
	p := middleware.RateLimitPolicy{Interval: time.Hour, Burst: 2}
	ceil := func(d time.Duration) time.Duration { return (d + time.Second - 1).Truncate(time.Second) }
	for range 3 {
		d, _ := store.Take(context.Background(), "203.0.113.7", p, 1)
		fmt.Printf("allowed=%t remaining=%d reset=%v retry-after=%v\n", d.Allowed, d.Remaining, ceil(d.Reset), ceil(d.RetryAfter))
	}
	fmt.Println("keys held:", store.Len())
	// Output:
	// allowed=true remaining=1 reset=1h0m0s retry-after=0s
	// allowed=true remaining=0 reset=2h0m0s retry-after=0s
	// allowed=false remaining=0 reset=2h0m0s retry-after=1h0m0s
	// keys held: 1
}
