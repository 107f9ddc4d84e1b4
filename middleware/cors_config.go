package middleware

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// corsPolicy is a checked [CORSConfig] with every response header value
// built in advance. It is read-only once built.
type corsPolicy struct {
	anyOrigin bool
	origins   map[string]struct{} // exact origins, lower case
	exact     []string            // the same, for the case-insensitive slow path
	patterns  []corsPattern

	anyMethod bool
	methods   []string // configured plus the safelisted GET, HEAD, POST

	anyHeader bool
	headers   []string // lower case

	// Header values, nil when not sent.
	star             []string // Access-Control-Allow-Origin: *
	allowMethods     []string
	allowHeaders     []string
	exposeHeaders    []string
	allowCredentials []string
	maxAge           []string
	varyActual       []string
	varyPreflight    []string
}

// corsPattern matches the origins prefix + one or more host labels +
// suffix, as "https://" and ".example.com:8443" for
// "https://*.example.com:8443".
type corsPattern struct{ prefix, suffix string }

// corsCompile checks cfg and builds its policy; it panics on a bad cfg.
func corsCompile(cfg CORSConfig) *corsPolicy {
	p := &corsPolicy{
		origins:       map[string]struct{}{},
		varyActual:    []string{"Origin"},
		varyPreflight: []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
	}
	creds := cfg.AllowCredentials
	if creds {
		p.allowCredentials = []string{"true"}
	}

	if len(cfg.AllowedOrigins) == 0 {
		panic(`middleware: CORS: AllowedOrigins is empty; list the allowed origins, or "*" for any origin`)
	}
	for _, raw := range cfg.AllowedOrigins {
		o := strings.ToLower(raw)
		switch {
		case o == "*":
			if len(cfg.AllowedOrigins) > 1 {
				panic(`middleware: CORS: AllowedOrigins "*" must be the only origin`)
			}
			if creds {
				panic(`middleware: CORS: AllowedOrigins "*" cannot be used with AllowCredentials (browsers refuse it); list the origins`)
			}
			p.anyOrigin = true
			p.star = []string{"*"}
		case o == "null":
			panic(`middleware: CORS: AllowedOrigins "null" is unsafe: sandboxed iframes, file: pages and redirects all send it`)
		default:
			pt, isPattern := corsCheckOrigin(raw, o)
			if isPattern {
				p.patterns = append(p.patterns, pt)
			} else if _, dup := p.origins[o]; !dup {
				p.origins[o] = struct{}{}
				p.exact = append(p.exact, o)
			}
		}
	}

	methods := cfg.AllowedMethods
	if len(methods) == 0 {
		methods = []string{"GET", "HEAD", "POST"}
	}
	p.methods = []string{"GET", "HEAD", "POST"}
	var sent []string
	for _, m := range methods {
		p.anyMethod = corsCheckToken("AllowedMethods", m, creds) || p.anyMethod
		if !slices.Contains(sent, m) {
			sent = append(sent, m)
		}
		if !slices.Contains(p.methods, m) {
			p.methods = append(p.methods, m)
		}
	}
	p.allowMethods = []string{strings.Join(sent, ", ")}

	sent = nil
	for _, h := range cfg.AllowedHeaders {
		p.anyHeader = corsCheckToken("AllowedHeaders", h, creds) || p.anyHeader
		if h = strings.ToLower(h); !slices.Contains(sent, h) {
			sent = append(sent, h)
		}
	}
	p.headers = sent
	if len(sent) > 0 {
		p.allowHeaders = []string{strings.Join(sent, ", ")}
	}

	sent = nil
	for _, h := range cfg.ExposedHeaders {
		corsCheckToken("ExposedHeaders", h, creds)
		if !slices.ContainsFunc(sent, func(s string) bool { return strings.EqualFold(s, h) }) {
			sent = append(sent, h)
		}
	}
	if len(sent) > 0 {
		p.exposeHeaders = []string{strings.Join(sent, ", ")}
	}

	switch {
	case cfg.MaxAge < 0:
		p.maxAge = []string{"0"}
	case cfg.MaxAge > 0 && cfg.MaxAge < time.Second:
		panic(fmt.Sprintf("middleware: CORS: MaxAge %v is under one second and would be sent as 0; use a negative MaxAge to disable caching", cfg.MaxAge))
	case cfg.MaxAge > 0:
		p.maxAge = []string{strconv.FormatInt(int64(cfg.MaxAge/time.Second), 10)}
	}
	return p
}

// corsCheckToken panics unless s is a token, or "*" without credentials;
// it reports whether s is "*".
func corsCheckToken(field, s string, creds bool) bool {
	if !corsIsToken(s) {
		panic(fmt.Sprintf("middleware: CORS: %s entry %q is not an HTTP token", field, s))
	}
	if s != "*" {
		return false
	}
	if creds {
		panic(fmt.Sprintf(`middleware: CORS: %s "*" cannot be used with AllowCredentials (browsers take it literally); list the names`, field))
	}
	return true
}

// corsCheckOrigin panics unless o, the lower-cased raw, is a serialized
// origin or a "scheme://*.host[:port]" pattern, which it returns.
func corsCheckOrigin(raw, o string) (corsPattern, bool) {
	fail := func(why string) {
		panic(fmt.Sprintf("middleware: CORS: AllowedOrigins entry %q %s", raw, why))
	}
	scheme, rest, ok := strings.Cut(o, "://")
	pattern := ok && strings.HasPrefix(rest, "*.")
	if pattern {
		o = scheme + "://x" + rest[1:] // check the rest as an ordinary origin
	}
	if strings.Contains(o, "*") {
		fail(`has a "*" that is not the whole first label of the host, as in "https://*.example.com"`)
	}
	scheme, host, port, why := corsSplitOrigin(o)
	if why != "" {
		fail(why)
	}
	if strings.HasPrefix(host, "[") {
		if c := "[" + netip.MustParseAddr(host[1:len(host)-1]).String() + "]"; c != host {
			fail("must write its IPv6 address as browsers do: " + c)
		}
	}
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		fail("must omit the default port " + port + ", as browsers do")
	}
	if !pattern {
		return corsPattern{}, false
	}
	suffix := host[1:] // ".example.com"
	if strings.Count(suffix, ".") < 2 {
		fail("is a pattern over a whole top-level domain")
	}
	if port != "" {
		suffix += ":" + port
	}
	return corsPattern{prefix: scheme + "://", suffix: suffix}, true
}
