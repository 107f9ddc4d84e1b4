package api

import (
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// limitReply is what the limit tests compare of an answer.
type limitReply struct {
	Status     int
	Policy     string // RateLimit-Policy
	RateLimit  string
	RetryAfter string
}

// TestPostLimit runs in a synctest bubble, so "within a minute" is the
// fake clock's: the command's default limit, 10 comments a minute per
// client address, restored at one every 6 s.
func TestPostLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig(t)
		cfg.PostLimit = postLimit(DefaultPostLimit, DefaultPostWindow, nil, middleware.RateLimitFailClosed)
		store := NewMemoryStore(seed)
		h := NewHandler(store, cfg)
		const policy = `"default";q=10;w=60`
		const ann, bob = "192.0.2.1:1234", "198.51.100.7:4321"
		type step struct {
			name   string
			wait   time.Duration // on the fake clock, before the request
			client string
			method string
			path   string
			want   limitReply
		}
		var steps []step
		for i := 1; i <= 10; i++ {
			steps = append(steps, step{"one of the first 10 posts is 201", 0, ann, "POST", "/api/comments",
				limitReply{201, policy, `"default";r=` + strconv.Itoa(10-i) + ";t=" + strconv.Itoa(6*i), ""}})
		}
		steps = append(steps,
			step{"the 11th post within a minute is 429", 0, ann, "POST", "/api/comments",
				limitReply{429, policy, `"default";r=0;t=60`, "6"}},
			step{"another client address still posts", 0, bob, "POST", "/api/comments",
				limitReply{201, policy, `"default";r=9;t=6`, ""}},
			step{"a GET of the limited client is not limited and has no headers", 0, ann, "GET", "/api/comments",
				limitReply{200, "", "", ""}},
			step{"and neither is a GET of a post's comments", 0, ann, "GET", "/api/comments/p",
				limitReply{200, "", "", ""}},
			step{"6 s later one comment is restored", 6 * time.Second, ann, "POST", "/api/comments",
				limitReply{201, policy, `"default";r=0;t=60`, ""}},
			step{"and only one", 0, ann, "POST", "/api/comments",
				limitReply{429, policy, `"default";r=0;t=60`, "6"}},
		)
		posted := 0
		for i, s := range steps {
			time.Sleep(s.wait)
			r := httptest.NewRequest(s.method, s.path, nil)
			if s.method == "POST" {
				r = httptest.NewRequest(s.method, s.path, strings.NewReader(`{"comment":"c`+strconv.Itoa(i)+`"}`))
				r.Header.Set("Content-Type", "application/json")
			}
			r.RemoteAddr = s.client
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := limitReply{w.Code, w.Header().Get("RateLimit-Policy"), w.Header().Get("RateLimit"), w.Header().Get("Retry-After")}
			if diff := cmp.Diff(s.want, got); diff != "" {
				t.Errorf("step %d, %s (-want +got):\n%s", i, s.name, diff)
			}
			switch w.Code {
			case 201:
				posted++
			case 429:
				want := testkit.ProblemBody{Type: "about:blank", Title: "Too Many Requests", Status: 429, Detail: "Rate limit exceeded: retry in 6 s"}
				if diff := cmp.Diff(want, testkit.RecordedProblem(t, w)); diff != "" {
					t.Errorf("step %d, %s: the problem (-want +got):\n%s", i, s.name, diff)
				}
			}
		}
		if got, want := len(store.List()), len(seed)+12; posted != 12 || got != want {
			t.Errorf("%d comments stored after %d 201s, want %d after 12", got, posted, want)
		}
	})
}

// TestPostLimitConfig: a limit the limiter refuses is reported by
// Config.Validate with the limiter's message, and NewHandler panics with
// it; no limit (nil) is accepted.
func TestPostLimitConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limit  int64
		window time.Duration
		want   string
	}{
		{"no limit", 0, 0, ""},
		{"the default", DefaultPostLimit, DefaultPostWindow, ""},
		{"a negative limit", -1, time.Minute, "middleware: RateLimit needs a Limit of at least 1, not -1"},
		{"a window of part of a second", 10, 1500 * time.Millisecond, "middleware: RateLimit needs a Window of a whole number of seconds, at least 1s, not 1.5s"},
		{"no window", 10, 0, "middleware: RateLimit needs a Window of a whole number of seconds, at least 1s, not 0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.PostLimit = postLimit(tc.limit, tc.window, nil, middleware.RateLimitFailClosed)
			err := cfg.Validate()
			var ce *middleware.ConfigError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tc.want == "":
				NewHandler(NewMemoryStore(seed), cfg)
				return
			case err == nil || err.Error() != tc.want || !errors.As(err, &ce):
				t.Fatalf("Validate = %v, want the *ConfigError %q", err, tc.want)
			}
			if got := testkit.Recover(func() { NewHandler(NewMemoryStore(seed), cfg) }); got != tc.want {
				t.Errorf("NewHandler panicked with %v, want %q", got, tc.want)
			}
		})
	}
}
