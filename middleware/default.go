package middleware

import (
	"log/slog"
	"net/http"
	"net/netip"
	"slices"

	"github.com/justinas/alice"
	"github.com/microkit-go/micro"
)

// DefaultConfig configures [Default]. Only Logger is required.
type DefaultConfig struct {
	// Logger receives one line per request; required. Over a
	// [JSONHandler] (slog.New(middleware.NewJSONHandler(w, nil))) the line
	// is slog's JSON, byte for byte, for less than half its CPU time.
	Logger *slog.Logger

	// Observe, when not nil, is called once per finished request with its
	// [Observation] (see [Observe]), from just inside Logger: the hook
	// metrics and traces hang from. nil adds nothing to the chain.
	Observe func(r *http.Request, o Observation)

	// TrustedProxies are the proxies whose X-Forwarded-For [ClientIP]
	// believes; none by default, so the client is the peer.
	TrustedProxies []netip.Prefix

	// CORS, when not nil, adds [CORS] with this configuration, and its
	// AllowedOrigins become the origins [CrossOrigin] trusts; "*" needs
	// DisableCrossOrigin (see [Default]).
	CORS *CORSConfig

	// BodyLimit is the [BodyLimit] in bytes; 0 means [micro.DefaultLimit]
	// (1 MiB), the default of micro's body helpers.
	BodyLimit int64

	// Compress configures [Compress]; the zero value uses its defaults.
	Compress CompressConfig

	// DisableCompress leaves [Compress] out, for a server behind a proxy
	// that compresses, or one that serves only small or already
	// compressed bodies. Compress is then ignored.
	DisableCompress bool

	// DisableCrossOrigin leaves [CrossOrigin] out, so browsers' cross-site
	// POST, PUT, PATCH and DELETE requests, which carry the visitor's
	// cookies, reach the routes. Set it only for a server that
	// authenticates no request by cookie or HTTP authentication, or that
	// appends its own CSRF protection.
	DisableCrossOrigin bool
}

// Default returns the recommended chain, outermost first: [RequestID],
// [ClientIP], [Logger], [Observe] (when cfg.Observe is set), [Recover],
// [CORS] (when cfg.CORS is set), [CrossOrigin] (unless
// DisableCrossOrigin), [BodyLimit] and [Compress] (unless
// DisableCompress). Each sits where it sees what it needs: the
// request ID and the client address reach every log line, the logger sees
// the final status and the cause of a 500, CORS answers preflights and
// gives every refusal below it the headers a page needs to read it,
// cross-site browser writes are refused before any body is read, and
// Compress, innermost, compresses only what routes write.
//
// CrossOrigin trusts the CORS config's AllowedOrigins. A CORS config that
// allows any origin ("*") is refused unless DisableCrossOrigin is set, as
// CrossOrigin would then refuse cross-site writes that CORS allows.
//
// Append route-specific middleware with the chain's Append, which adds it
// inside Compress: [Cookies], [ContentType], [ETag] (opt-in, as hashing
// every body costs CPU; or per route) and [Timeout] (innermost, so its 503
// goes through everything above). A nil cfg.Logger or an invalid
// setting panics at construction, with the message of the error
// [DefaultConfig.Validate] returns for it.
func Default(cfg DefaultConfig) alice.Chain {
	mustValid(cfg.Validate())
	// RequestID first, so every later line, error and refusal carries the
	// request's ID, the response included. ClientIP before the logger, so
	// its line has the real client. Logger outside everything that can
	// fail, so it sees the final status and bytes, the 500 Recover writes
	// and the cause behind it, and times the whole request. Recover outside
	// everything that can panic, inside the logger.
	c := alice.New(RequestID(), ClientIP(cfg.TrustedProxies...), Logger(cfg.Logger))
	if cfg.Observe != nil {
		// Inside the logger, on its recording writer, outside Recover: it
		// sees what the logger sees, panics included.
		c = c.Append(Observe(cfg.Observe))
	}
	c = c.Append(Recover())
	if cfg.CORS != nil {
		// Before anything that can refuse, so preflights are answered
		// before a route or a limit sees them and refusals (413, 415, 403)
		// still carry the CORS headers that let the page read them.
		c = c.Append(CORS(*cfg.CORS))
	}
	if !cfg.DisableCrossOrigin {
		// After CORS, so preflights are answered, and before anything reads
		// a body, so a cross-site browser's write (a form, a no-cors fetch,
		// a sendBeacon, with or without a Content-Type) is a 403 before any
		// route runs. It trusts the CORS config's AllowedOrigins, exact and
		// patterns; same-origin requests and non-browser clients (no
		// Sec-Fetch-Site, no Origin) pass. Validate refuses a CORS "*"
		// here: CrossOrigin would refuse every page's cross-site write that
		// CORS allows, so that choice is the server owner's to make
		// explicitly, with DisableCrossOrigin.
		c = c.Append(CrossOrigin(cfg.trustedOrigins()...))
	}
	// BodyLimit refuses oversized bodies before any route reads them.
	c = c.Append(BodyLimit(cfg.bodyLimit()))
	if !cfg.DisableCompress {
		// Innermost, so it compresses only what routes write and the
		// logger counts the bytes that went on the wire.
		c = c.Append(Compress(cfg.Compress))
	}
	return c
}

// Validate reports whether [Default] accepts c: nil, or the first
// [*ConfigError] among those of the middlewares Default would build, in
// chain order.
func (c DefaultConfig) Validate() error {
	if err := ValidateClientIP(c.TrustedProxies...); err != nil {
		return err
	}
	if err := ValidateLogger(c.Logger); err != nil {
		return err
	}
	if c.CORS != nil {
		if err := c.CORS.Validate(); err != nil {
			return err
		}
	}
	if !c.DisableCrossOrigin {
		if c.corsAllowsAny() {
			return configError("Default", `middleware: Default: CORS allows any origin ("*"), and CrossOrigin, which refuses cross-site writes, cannot trust every origin; list the allowed origins, or set DisableCrossOrigin when no request is authenticated by cookie or HTTP authentication`)
		}
		if err := ValidateCrossOrigin(c.trustedOrigins()...); err != nil {
			return err
		}
	}
	if err := ValidateBodyLimit(c.bodyLimit()); err != nil {
		return err
	}
	if c.DisableCompress {
		return nil
	}
	return c.Compress.Validate()
}

// trustedOrigins returns the origins Default's [CrossOrigin] trusts: the
// CORS config's allowed origins, or none without CORS.
func (c DefaultConfig) trustedOrigins() []string {
	if c.CORS == nil {
		return nil
	}
	return c.CORS.AllowedOrigins
}

// corsAllowsAny reports whether the CORS config allows any origin ("*").
func (c DefaultConfig) corsAllowsAny() bool {
	return c.CORS != nil && slices.Contains(c.CORS.AllowedOrigins, "*")
}

// bodyLimit returns the [BodyLimit] of Default: c.BodyLimit, or
// [micro.DefaultLimit] for 0.
func (c DefaultConfig) bodyLimit() int64 {
	if c.BodyLimit == 0 {
		return micro.DefaultLimit
	}
	return c.BodyLimit
}
