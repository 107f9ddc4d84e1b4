package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/justinas/alice"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

func ExampleRateLimit() {
	// Two requests a minute per client address: one more every 30 s.
	limit := middleware.RateLimit(middleware.RateLimitConfig{Limit: 2, Window: time.Minute})
	h := alice.New(middleware.Recover(), limit).ThenFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})

	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil)) // from 192.0.2.1
		fmt.Println(w.Code, w.Header().Get("RateLimit-Policy"), w.Header().Get("RateLimit"), w.Header().Values("Retry-After"))
	}
	// Output:
	// 200 "default";q=2;w=60 "default";r=1;t=30 []
	// 200 "default";q=2;w=60 "default";r=0;t=60 []
	// 429 "default";q=2;w=60 "default";r=0;t=60 [30]
}

func ExampleRateLimiter_Allow() {
	// Ten posts an hour per user, checked in the route once it knows the user.
	posts := middleware.NewRateLimiter(middleware.RateLimitConfig{Limit: 10, Window: time.Hour, Name: "posts"})
	create := micro.Handler(func(r *http.Request) (any, error) {
		user := r.Header.Get("X-User") // in a real server, from the session
		if err := posts.Allow(r, "user:"+user); err != nil {
			return nil, err // a 429 problem with Retry-After and the RateLimit headers
		}
		return &micro.Response{Status: http.StatusCreated, Body: map[string]string{"by": user}}, nil
	})

	for range 11 {
		r := httptest.NewRequest("POST", "/api/posts", nil)
		r.Header.Set("X-User", "ann")
		w := httptest.NewRecorder()
		create.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			fmt.Println(w.Code, w.Header().Get("Retry-After"), w.Header().Get("RateLimit"))
			fmt.Print(w.Body)
		}
	}
	// Output:
	// 429 360 "posts";r=0;t=3600
	// {"type":"about:blank","title":"Too Many Requests","status":429,"detail":"Rate limit exceeded: retry in 360 s"}
}
