package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/internal/testkit"
)

// timeoutBenchRoute is a fast route, shaped like what send.Value does: a
// header, then the body.
var timeoutBenchRoute = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
})

// BenchmarkTimeout compares Timeout over a fast route with the bare route
// and with net/http's TimeoutHandler (which buffers the body). The deadline
// never fires: this is the cost every request pays. The request context
// can be canceled, as a server's is.
func BenchmarkTimeout(b *testing.B) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	fresh := httptest.NewRequest("GET", "/", nil).WithContext(parent)
	attached, _ := state.Attach(fresh) // as behind RequestID or Logger
	// A request with a body gets the route a guarded body (unread here).
	withBody := httptest.NewRequest("POST", "/", strings.NewReader(`{"a":1}`)).WithContext(parent)

	for _, bb := range []struct {
		name string
		h    http.Handler
		r    *http.Request
	}{
		{"impl=bare", timeoutBenchRoute, fresh},
		{"impl=micro", Timeout(time.Minute)(timeoutBenchRoute), fresh},
		{"impl=micro-in-chain", Timeout(time.Minute)(timeoutBenchRoute), attached},
		{"impl=micro-with-body", Timeout(time.Minute)(timeoutBenchRoute), withBody},
		{"impl=nethttp", http.TimeoutHandler(timeoutBenchRoute, time.Minute, ""), fresh},
	} {
		b.Run(bb.name, func(b *testing.B) { testkit.Bench(b, bb.h, bb.r) })
	}
}
