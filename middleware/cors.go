package middleware

import (
	"net/http"
	"time"
)

// CORSConfig lists what [CORS] lets cross-origin scripts do. Every field is
// checked when [CORS] is called; a bad value panics there, never on a
// request.
type CORSConfig struct {
	// AllowedOrigins are the serialized origins whose scripts may read
	// responses: "scheme://host" or "scheme://host:port", without path,
	// query, userinfo or trailing slash, matched case-insensitively.
	// "https://*.example.com" matches every subdomain of example.com at any
	// depth, with that scheme and port, but not example.com itself; "*." is
	// allowed only as the whole first label, never over a top-level domain,
	// an IP address or a public suffix ("https://*.github.io"), and a
	// pattern never matches a host under a public suffix below its base.
	// "*" alone allows any origin, without AllowCredentials only. "null" is
	// refused: sandboxed iframes, file: pages and some redirects all send
	// it. Required: an empty list panics rather than allowing everyone.
	AllowedOrigins []string

	// AllowedMethods are the methods a preflight may ask for, as tokens
	// compared case-sensitively, as browsers do ("PATCH", not "patch").
	// Empty means GET, HEAD and POST, which browsers never preflight and
	// which are always allowed. "*" allows any method, without
	// AllowCredentials only.
	AllowedMethods []string

	// AllowedHeaders are the request headers a preflight may ask for,
	// compared case-insensitively. The CORS-safelisted headers need not be
	// listed, but Content-Type must be for a JSON body, since only three
	// form and text types are safelisted. "*" allows any header, without
	// AllowCredentials only; browsers never let it cover Authorization,
	// which must be listed beside it.
	AllowedHeaders []string

	// ExposedHeaders are the response headers, beyond the CORS-safelisted
	// ones, that scripts may read. "*" exposes all, without
	// AllowCredentials only.
	ExposedHeaders []string

	// AllowCredentials lets scripts send cookies and HTTP authentication
	// and read the responses to such requests. It excludes every "*".
	AllowCredentials bool

	// MaxAge is how long a browser may cache a preflight's answer, sent in
	// whole seconds. Zero sends nothing (browsers then cache for 5
	// seconds); a negative value sends 0, which disables caching; a value
	// between 0 and one second panics, as it would be sent as 0. Browsers
	// cap it (Chromium at 2 hours, Firefox at 24).
	MaxAge time.Duration
}

// CORS returns a middleware that answers cross-origin requests by the Fetch
// standard's CORS protocol, as [CORSConfig] allows.
//
// Threat model: the browser hides a cross-origin response from the script
// that asked for it unless the response grants that script's origin. CORS
// is that grant, so it fails by granting too widely: to a look-alike origin
// (https://example.com.evil.com), to http where https was meant, to "null",
// to every origin together with cookies, or through a shared cache that
// serves one origin's answer to another. So an Origin matches only an exact
// configured origin or a pattern, never a prefix or a suffix of one, and
// every response gets "Origin" appended to its Vary (a preflight's also the
// request method and headers), after the values already there: a handler
// may add to Vary but should not Set it. CORS is not an access control: it
// stops no request and binds no non-browser client, so protect
// cookie-authenticated writes with [CrossOrigin] as well.
//
// A request with no Origin, a refused one, several or a malformed one gets
// no CORS header; an allowed one gets Access-Control-Allow-Origin (its
// origin, or "*" when any is allowed), with Allow-Credentials and
// Expose-Headers as configured. A preflight (OPTIONS with a non-empty
// Access-Control-Request-Method) is answered here with 204, never reaching
// the next handler, and carries the grant only when its origin, its method
// and every header it names (in at most 4 KiB and 64 elements) are allowed.
// Header values are shared slices: code after CORS may append to them but
// must not modify them in place. A bad cfg panics at construction, with
// the message of the error [CORSConfig.Validate] returns.
func CORS(cfg CORSConfig) func(http.Handler) http.Handler {
	p, err := corsCompile(cfg)
	mustValid(err)
	return func(next http.Handler) http.Handler {
		return &corsHandler{p: p, next: next}
	}
}

// corsHandler is the middleware for one next handler.
type corsHandler struct {
	p    *corsPolicy
	next http.Handler
}

func (c *corsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, h := c.p, w.Header()
	if r.Method == http.MethodOptions {
		if acrm := r.Header["Access-Control-Request-Method"]; len(acrm) > 1 || len(acrm) == 1 && acrm[0] != "" {
			corsAddVary(h, p.varyPreflight)
			p.preflight(h, r, acrm)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	// An OPTIONS request without Access-Control-Request-Method is an
	// ordinary request. The header values below are slices built by
	// corsCompile, so a request allocates nothing here (but for the Public
	// Suffix List look-up of an origin two or more labels below a
	// pattern's base, as a.b.example.com under "https://*.example.com").
	corsAddVary(h, p.varyActual)
	if acao := p.allowOrigin(r); acao != nil {
		h["Access-Control-Allow-Origin"] = acao
		if p.allowCredentials != nil {
			h["Access-Control-Allow-Credentials"] = p.allowCredentials
		}
		if p.exposeHeaders != nil {
			h["Access-Control-Expose-Headers"] = p.exposeHeaders
		}
	}
	c.next.ServeHTTP(w, r)
}

// preflight sets the headers that grant the preflight r, when its origin,
// method and requested headers are all allowed; otherwise none.
func (p *corsPolicy) preflight(h http.Header, r *http.Request, acrm []string) {
	acao := p.allowOrigin(r)
	if acao == nil || len(acrm) != 1 || !p.methodAllowed(acrm[0]) {
		return
	}
	ok, named := p.headersAllowed(r.Header["Access-Control-Request-Headers"])
	if !ok {
		return
	}
	h["Access-Control-Allow-Origin"] = acao
	h["Access-Control-Allow-Methods"] = p.allowMethods
	if named {
		h["Access-Control-Allow-Headers"] = p.allowHeaders
	}
	if p.maxAge != nil {
		h["Access-Control-Max-Age"] = p.maxAge
	}
	if p.allowCredentials != nil {
		h["Access-Control-Allow-Credentials"] = p.allowCredentials
	}
}

// corsAddVary appends v to h's Vary values, keeping those already there.
// v itself is stored when there are none: its capacity equals its length,
// so a later append copies it instead of writing into it.
func corsAddVary(h http.Header, v []string) {
	if old := h["Vary"]; len(old) > 0 {
		h["Vary"] = append(old, v...)
		return
	}
	h["Vary"] = v
}
