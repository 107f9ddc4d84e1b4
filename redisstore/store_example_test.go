package redisstore_test

import (
	"log"
	"net/http"
	"time"

	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/redisstore"
	"github.com/redis/rueidis"
)

// Every instance of a server behind a load balancer limits each client
// address to 100 requests a minute, together, through one Redis (or the
// nodes of a cluster: list them in InitAddress).
func ExampleNew() {
	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{"127.0.0.1:6379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	store, err := redisstore.New(client, redisstore.Config{Prefix: "api:ratelimit:"})
	if err != nil {
		log.Fatal(err)
	}
	limit := middleware.RateLimit(middleware.RateLimitConfig{
		Limit:        100,
		Window:       time.Minute,
		Store:        store,
		OnStoreError: middleware.RateLimitFailLocal, // each instance limits alone while Redis is out
	})
	http.Handle("/api/", limit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	log.Fatal(http.ListenAndServe(":8080", nil))
}
