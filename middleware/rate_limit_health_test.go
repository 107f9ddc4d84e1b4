package middleware

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// rateLimitDownStore is a store that always fails.
type rateLimitDownStore struct{}

func (rateLimitDownStore) Take(context.Context, string, RateLimitPolicy, int64) (RateLimitDecision, error) {
	return RateLimitDecision{}, errors.New("down")
}

// TestRateLimitLocalFallbackIsBounded: while the store fails, the local
// store of RateLimitFailLocal holds at most LocalKeys keys, however many
// clients come.
func TestRateLimitLocalFallbackIsBounded(t *testing.T) {
	lim := NewRateLimiter(RateLimitConfig{Limit: 10, Window: time.Minute, Store: rateLimitDownStore{},
		OnStoreError: RateLimitFailLocal, LocalKeys: 100, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for i := range 10_000 {
		if err := lim.Allow(r, "client-"+strconv.Itoa(i)); err != nil {
			t.Fatalf("client %d refused: %v", i, err)
		}
	}
	if n := lim.health.local.Len(); n == 0 || n > 100 {
		t.Errorf("the local store holds %d keys, want 1 to 100", n)
	}
}
