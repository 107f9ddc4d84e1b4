package middleware

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
)

// corsBenchConfig and corsBenchGorilla are the same policy in both
// libraries; gorilla's CORS is the peer baseline, the bare handler the
// floor.
var corsBenchConfig = CORSConfig{
	AllowedOrigins:   []string{"https://example.com", "https://app.example.com"},
	AllowedMethods:   []string{"GET", "POST", "PUT"},
	AllowedHeaders:   []string{"Content-Type", "X-Token", "X-Trace"},
	AllowCredentials: true,
	MaxAge:           10 * time.Minute,
}

func corsBenchGorilla() func(http.Handler) http.Handler {
	return handlers.CORS(
		handlers.AllowedOrigins([]string{"https://example.com", "https://app.example.com"}),
		handlers.AllowedMethods([]string{"GET", "POST", "PUT"}),
		handlers.AllowedHeaders([]string{"Content-Type", "X-Token", "X-Trace"}),
		handlers.AllowCredentials(),
		handlers.MaxAge(600),
	)
}

var corsBenchRoute = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// corsBench serves q through h b.N times with a reused header map, so the
// figures are the middleware's own.
func corsBench(b *testing.B, h http.Handler, q corsReq) {
	testkit.Bench(b, h, q.request())
}

var (
	corsBenchAllowed    = corsReq{origin: corsOne("https://app.example.com")}
	corsBenchPreflight  = corsReq{method: "OPTIONS", origin: corsOne("https://app.example.com"), acrm: corsOne("PUT")}
	corsBenchPreflight3 = corsReq{method: "OPTIONS", origin: corsOne("https://app.example.com"), acrm: corsOne("PUT"),
		acrh: corsOne("content-type,x-token,x-trace")}
)

func BenchmarkCORS(b *testing.B) {
	ours := CORS(corsBenchConfig)(corsBenchRoute)
	gorilla := corsBenchGorilla()(corsBenchRoute)
	b.Run("case=actual-allowed/impl=bare", func(b *testing.B) { corsBench(b, corsBenchRoute, corsBenchAllowed) })
	b.Run("case=actual-allowed/impl=micro", func(b *testing.B) { corsBench(b, ours, corsBenchAllowed) })
	b.Run("case=actual-allowed/impl=gorilla", func(b *testing.B) { corsBench(b, gorilla, corsBenchAllowed) })
	b.Run("case=actual-refused/impl=micro", func(b *testing.B) { corsBench(b, ours, corsReq{origin: corsOne("https://evil.com")}) })
	b.Run("case=no-origin/impl=micro", func(b *testing.B) { corsBench(b, ours, corsReq{}) })
	b.Run("case=preflight/impl=micro", func(b *testing.B) { corsBench(b, ours, corsBenchPreflight) })
	b.Run("case=preflight/impl=gorilla", func(b *testing.B) { corsBench(b, gorilla, corsBenchPreflight) })
	b.Run("case=preflight-3-headers/impl=micro", func(b *testing.B) { corsBench(b, ours, corsBenchPreflight3) })
	b.Run("case=preflight-3-headers/impl=gorilla", func(b *testing.B) { corsBench(b, gorilla, corsBenchPreflight3) })
	b.Run("case=preflight-100KB-of-commas/impl=micro", func(b *testing.B) {
		corsBench(b, ours, corsReq{method: "OPTIONS", origin: corsOne("https://app.example.com"), acrm: corsOne("PUT"),
			acrh: corsOne(strings.Repeat(",", 100_000))})
	})
}
