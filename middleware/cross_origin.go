package middleware

import (
	"net/http"
	"strings"

	"github.com/microkit-go/micro/send"
)

// CrossOrigin returns middleware that protects cookie-authenticated APIs
// from cross-site request forgery, with Go's http.CrossOriginProtection.
//
// Requests with a safe method (GET, HEAD, OPTIONS) always pass. A request
// with another method passes when the browser says it is same-origin
// (Sec-Fetch-Site), when it comes from one of trustedOrigins, or when it
// carries neither Sec-Fetch-Site nor Origin (not a browser, so not
// forgeable by a web page). Anything else, a POST from another site's form
// or fetch, is refused with a 403 problem before the route runs.
//
// trustedOrigins are origins such as "https://app.example.com" (scheme,
// host and optional port, nothing else); list the origins [CORS] allows
// with credentials, or their cross-origin writes are refused. They are
// compared with the Origin header as browsers send it, scheme and host in
// lower case, so a trusted origin given with capitals is lowered first, as
// [CORS] matches it. A malformed origin panics at construction.
func CrossOrigin(trustedOrigins ...string) func(http.Handler) http.Handler {
	c := http.NewCrossOriginProtection()
	for _, o := range trustedOrigins {
		if err := c.AddTrustedOrigin(strings.ToLower(o)); err != nil {
			panic("middleware: CrossOrigin: " + err.Error())
		}
	}
	refused := problem(http.StatusForbidden, "Cross-origin request refused")
	c.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send.Error(w, r, refused)
	}))
	return c.Handler
}
