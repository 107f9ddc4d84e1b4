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
	// depth (a.example.com, a.b.example.com) over https on the default port,
	// but not example.com itself; "*." is allowed only as the whole first
	// label, and never over a top-level domain, an IP address or a public
	// suffix of the Public Suffix List ("https://*.github.io",
	// "https://*.co.uk"), whose subdomains belong to different owners, nor
	// over a base whose every subdomain is one ("https://*.kawasaki.jp").
	// Nor does a pattern match a host under a public suffix below its base:
	// "https://*.amazonaws.com" refuses evil.s3.amazonaws.com, a bucket's.
	// "*" alone allows any origin and cannot be combined with
	// AllowCredentials. "null" is refused: sandboxed iframes, file: pages
	// and some redirects all send it, so allowing it allows them all.
	// Required: an empty list panics rather than allowing everyone.
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
// that asked for it unless the response says that script's origin may read
// it. CORS is that permission, so its failure mode is granting it too
// widely: to a look-alike origin (https://example.com.evil.com,
// https://evilexample.com), to http where https was meant, to "null", to
// every origin together with cookies, or through a shared cache that
// stored one origin's answer and serves it to another. CORS is not an
// access control: it stops no request from reaching the server (a simple
// request runs the route before the browser decides) and binds no
// non-browser client. Protect cookie-authenticated state changes with
// [CrossOrigin] as well.
//
// An Origin matches only an exact configured origin or a pattern, never a
// prefix or a suffix of one. A request with no Origin, a refused one,
// several Origin lines or a malformed one gets no CORS header at all.
// Otherwise the response gets Access-Control-Allow-Origin with that origin
// ("*" when any is allowed), Access-Control-Allow-Credentials when
// configured and, except on preflights, Access-Control-Expose-Headers.
//
// A preflight (OPTIONS with a non-empty Access-Control-Request-Method) is
// answered here with 204 and never reaches the next handler. When its
// origin, its method and every header it names are allowed, the answer
// carries the Allow-Origin, Allow-Methods, Allow-Headers (when headers were
// named), Max-Age and Allow-Credentials headers; otherwise it carries none
// and the browser fails the request. A malformed
// Access-Control-Request-Headers, or one of more than 4 KiB or 64 list
// elements over all its lines, is refused, at a cost linear in its length.
// An OPTIONS request without Access-Control-Request-Method is an ordinary
// request and reaches the next handler.
//
// Every response through the middleware, including refused ones and
// responses to requests without an Origin, gets "Origin" (preflights:
// "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
// appended to its Vary header, after the values already there, so a shared
// cache keeps the answers apart. The handler may add more; it should not
// Set Vary, which would drop these.
//
// CORS panics on a bad configuration, with the message of the error
// [CORSConfig.Validate] returns for it: see [CORSConfig]. Headers are set
// from slices built here, so it does not allocate per request (but for
// the Public Suffix List look-up of an origin two or more labels below a
// pattern's base, as a.b.example.com under "https://*.example.com"); code
// after it may append to those header values but must not modify them in
// place.
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
