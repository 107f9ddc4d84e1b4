package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/microkit-go/micro/middleware"
)

// A server behind a load balancer in 10.0.0.0/8, which appends the address
// of its peer to X-Forwarded-For. Requests through the load balancer are
// attributed to the address it saw; a client that reaches the server
// directly is its own peer address, whatever headers it sends.
func ExampleClientIP() {
	h := middleware.ClientIP(netip.MustParsePrefix("10.0.0.0/8"))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, middleware.ClientIPFrom(r))
		}))

	serve := func(remoteAddr, xff string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remoteAddr
		r.Header.Set("X-Forwarded-For", xff)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Printf("from %s, X-Forwarded-For %q: client %s\n", remoteAddr, xff, w.Body)
	}
	// The client claimed to be 192.0.2.1; the load balancer appended what it saw.
	serve("10.0.0.7:51234", "192.0.2.1, 203.0.113.9")
	// A client connecting directly cannot choose its address.
	serve("198.51.100.4:40000", "192.0.2.1")
	// Output:
	// from 10.0.0.7:51234, X-Forwarded-For "192.0.2.1, 203.0.113.9": client 203.0.113.9
	// from 198.51.100.4:40000, X-Forwarded-For "192.0.2.1": client 198.51.100.4
}
