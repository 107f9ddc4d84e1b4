package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
)

// serve runs r through h and returns what h wrote.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// ok is a handler that answers 200 "ok".
var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok"))
})

// benchAgainst runs r through ok alone (impl=bare), through ours
// (impl=micro) and through peer (impl=peerName), one sub-benchmark each,
// so that one run measures the ratio.
func benchAgainst(b *testing.B, r *http.Request, ours http.Handler, peerName string, peer http.Handler) {
	b.Run("impl=bare", func(b *testing.B) { testkit.Bench(b, ok, r) })
	b.Run("impl=micro", func(b *testing.B) { testkit.Bench(b, ours, r) })
	b.Run("impl="+peerName, func(b *testing.B) { testkit.Bench(b, peer, r) })
}

// panicMessage calls f and returns what it panicked with, as a string,
// or "" if it returned normally.
func panicMessage(f func()) string {
	if v := testkit.Recover(f); v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// newCOP is Go's CrossOriginProtection trusting app.example.com.
func newCOP() *http.CrossOriginProtection {
	c := http.NewCrossOriginProtection()
	if err := c.AddTrustedOrigin("https://app.example.com"); err != nil {
		panic(err)
	}
	return c
}
