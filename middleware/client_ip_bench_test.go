package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// clientIPNaiveLeftmost is the peer baseline, written inline: gorilla's
// ProxyHeaders reading of X-Forwarded-For, which believes the leftmost
// entry of any client and overwrites RemoteAddr with it.
func clientIPNaiveLeftmost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
			i := strings.Index(fwd, ", ")
			if i < 0 {
				i = len(fwd)
			}
			r.RemoteAddr = fwd[:i]
		}
		next.ServeHTTP(w, r)
	})
}

// BenchmarkClientIP measures, for each header shape, the bare handler, the
// naive leftmost-X-Forwarded-For baseline and ClientIP: alone (it attaches
// the per-request state, one clone of the request) and in a chain where
// the state is already attached (what ClientIP itself costs).
func BenchmarkClientIP(b *testing.B) {
	hops := func(n int) string {
		entries := []string{"203.0.113.9"}
		for i := n; i >= 1; i-- {
			entries = append(entries, netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}).String())
		}
		return strings.Join(entries, ", ")
	}
	cases := []struct {
		name, remote, header, value string
	}{
		{"no-header", "203.0.113.9:40000", "", ""},
		{"xff-1-hop", "10.0.0.1:40000", "X-Forwarded-For", hops(0)},
		{"xff-10-hops", "10.0.0.1:40000", "X-Forwarded-For", hops(9)},
		{"forwarded-2-hops", "10.0.0.1:40000", "Forwarded", `for="[2001:db8::9]:4711";proto=https, for=10.0.0.2`},
	}
	bare := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	clientIP := middleware.ClientIP(netip.MustParsePrefix("10.0.0.0/8"))
	for _, c := range cases {
		newRequest := func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.remote
			if c.header != "" {
				r.Header.Set(c.header, c.value)
			}
			return r
		}
		run := testkit.Bench
		b.Run("case="+c.name+"/impl=bare", func(b *testing.B) { run(b, bare, newRequest()) })
		b.Run("case="+c.name+"/impl=naive-leftmost-xff", func(b *testing.B) { run(b, clientIPNaiveLeftmost(bare), newRequest()) })
		b.Run("case="+c.name+"/impl=micro", func(b *testing.B) { run(b, clientIP(bare), newRequest()) })
		b.Run("case="+c.name+"/impl=micro-in-chain", func(b *testing.B) {
			var attached *http.Request
			clientIP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { attached = r })).ServeHTTP(nil, newRequest())
			run(b, clientIP(bare), attached)
		})
	}
}
