package middleware

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// corsPolicy is a checked [CORSConfig] with every response header value
// built in advance. It is read-only once built.
type corsPolicy struct {
	anyOrigin bool
	corsOrigins

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

// corsOrigins is a set of configured origins, as [CORS] allows them and
// [CrossOrigin] trusts them.
type corsOrigins struct {
	origins  map[string]struct{} // exact origins, lower case
	exact    []string            // the same, for the case-insensitive slow path
	patterns []corsPattern
}

// corsPattern matches the origins prefix + one or more host labels +
// suffix, as "https://" and ".example.com:8443" for
// "https://*.example.com:8443", whose host is under no public suffix below
// the base (example.com); portLen is the length of the suffix's ":port".
type corsPattern struct {
	prefix, suffix string
	portLen        int
}

// Validate reports whether [CORS] accepts c: nil, or a [*ConfigError]
// with the message CORS would panic with.
func (c CORSConfig) Validate() error {
	_, err := corsCompile(c)
	return err
}

// corsCompile checks cfg and builds its policy, or returns the
// [*ConfigError] that says what is wrong with cfg.
func corsCompile(cfg CORSConfig) (*corsPolicy, error) {
	p := &corsPolicy{
		varyActual:    []string{"Origin"},
		varyPreflight: []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
	}
	creds := cfg.AllowCredentials
	if creds {
		p.allowCredentials = []string{"true"}
	}

	if len(cfg.AllowedOrigins) == 0 {
		return nil, corsError(`AllowedOrigins is empty; list the allowed origins, or "*" for any origin`)
	}
	for _, raw := range cfg.AllowedOrigins {
		switch o := strings.ToLower(raw); o {
		case "*":
			if len(cfg.AllowedOrigins) > 1 {
				return nil, corsError(`AllowedOrigins "*" must be the only origin`)
			}
			if creds {
				return nil, corsError(`AllowedOrigins "*" cannot be used with AllowCredentials (browsers refuse it); list the origins`)
			}
			p.anyOrigin = true
			p.star = []string{"*"}
		case "null":
			return nil, corsError(`AllowedOrigins "null" ` + corsNullUnsafe)
		default:
			if _, why := p.add(raw); why != "" {
				return nil, corsError(fmt.Sprintf("AllowedOrigins entry %q %s", raw, why))
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
		star, err := corsCheckToken("AllowedMethods", m, creds)
		if err != nil {
			return nil, err
		}
		p.anyMethod = star || p.anyMethod
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
		star, err := corsCheckToken("AllowedHeaders", h, creds)
		if err != nil {
			return nil, err
		}
		p.anyHeader = star || p.anyHeader
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
		if _, err := corsCheckToken("ExposedHeaders", h, creds); err != nil {
			return nil, err
		}
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
		return nil, corsError(fmt.Sprintf("MaxAge %v is under one second and would be sent as 0; use a negative MaxAge to disable caching", cfg.MaxAge))
	case cfg.MaxAge > 0:
		p.maxAge = []string{strconv.FormatInt(int64(cfg.MaxAge/time.Second), 10)}
	}
	return p, nil
}

// corsError returns the [*ConfigError] of [CORS] saying why.
func corsError(why string) error {
	return configError("CORS", "middleware: CORS: "+why)
}

// corsCheckToken reports whether s, an entry of field, is "*"; it returns
// an error unless s is a token, or "*" without credentials.
func corsCheckToken(field, s string, creds bool) (bool, error) {
	if !httpsyntax.IsToken(s) {
		return false, corsError(fmt.Sprintf("%s entry %q is not an HTTP token", field, s))
	}
	if s != "*" {
		return false, nil
	}
	if creds {
		return false, corsError(fmt.Sprintf(`%s "*" cannot be used with AllowCredentials (browsers take it literally); list the names`, field))
	}
	return true, nil
}
