package middleware

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/send"
)

// CrossOrigin returns middleware that protects cookie-authenticated APIs
// from cross-site request forgery, with Go's http.CrossOriginProtection.
//
// Requests with a safe method (GET, HEAD, OPTIONS) always pass. A request
// with another method passes when the browser says it is same-origin
// (Sec-Fetch-Site), when it comes from one of trustedOrigins, or when it
// carries neither Sec-Fetch-Site nor Origin (not a browser, so not
// forgeable by a web page). Anything else, a POST from another site's form,
// fetch or navigator.sendBeacon, whatever its Content-Type, is refused with
// a 403 problem before the route runs.
//
// trustedOrigins are written as [CORSConfig.AllowedOrigins] are and
// matched as [CORS] matches them, so the origins CORS allows with
// credentials can be passed as they are (as [Default] does): serialized
// origins such as "https://app.example.com" (scheme, host and optional
// port, compared ignoring ASCII case) and patterns such as
// "https://*.example.com", which trust every subdomain of example.com. "*",
// "null", a "*" anywhere else, a path, a default port and a pattern over a
// public suffix are refused, and a pattern does not match a host under a
// public suffix below its base. A bad origin panics at construction, with the
// message of the error [ValidateCrossOrigin] returns for it.
func CrossOrigin(trustedOrigins ...string) func(http.Handler) http.Handler {
	c, err := crossOriginCompile(trustedOrigins)
	mustValid(err)
	return c.handler
}

// ValidateCrossOrigin reports whether [CrossOrigin] accepts trustedOrigins:
// nil, or a [*ConfigError] with the message CrossOrigin would panic with.
func ValidateCrossOrigin(trustedOrigins ...string) error {
	_, err := crossOriginCompile(trustedOrigins)
	return err
}

// crossOrigin is a checked [CrossOrigin] configuration: Go's protection
// with the exact origins, and the trusted origins matched as [CORS]
// matches them, for what Go's exact lookup misses (patterns, capitals).
type crossOrigin struct {
	protect *http.CrossOriginProtection
	trusted corsOrigins
	refused error
}

// crossOriginCompile checks trustedOrigins and builds their protection,
// or returns the [*ConfigError] that says what is wrong.
func crossOriginCompile(trustedOrigins []string) (*crossOrigin, error) {
	c := &crossOrigin{
		protect: http.NewCrossOriginProtection(),
		refused: micro.Errorf(http.StatusForbidden, "Cross-origin request refused"),
	}
	for _, raw := range trustedOrigins {
		o, why := c.trusted.add(raw)
		if why == "" && !strings.Contains(o, "*") {
			if err := c.protect.AddTrustedOrigin(o); err != nil {
				why = "is refused by http.CrossOriginProtection: " + err.Error()
			}
		}
		if why != "" {
			return nil, configError("CrossOrigin", fmt.Sprintf("middleware: CrossOrigin: trusted origin %q %s", raw, why))
		}
	}
	return c, nil
}

// handler is the middleware: it refuses what Go's protection refuses,
// unless the request's one Origin is trusted.
func (c *crossOrigin) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.protect.Check(r) != nil {
			if v := r.Header["Origin"]; len(v) != 1 || !c.trusted.match(v[0]) {
				send.Error(w, r, c.refused)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
