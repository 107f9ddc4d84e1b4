package middleware

import (
	"log/slog"
	"net/netip"

	"github.com/justinas/alice"
)

// DefaultBodyLimit is the request body limit of [Default] when its config
// sets none: 1 MiB, the same as micro's body helpers.
const DefaultBodyLimit = 1 << 20

// DefaultConfig configures [Default]. Only Logger is required.
type DefaultConfig struct {
	// Logger receives one line per request; required.
	Logger *slog.Logger

	// TrustedProxies are the proxies whose X-Forwarded-For [ClientIP]
	// believes; none by default, so the client is the peer.
	TrustedProxies []netip.Prefix

	// CORS, when not nil, adds [CORS] with this configuration.
	CORS *CORSConfig

	// BodyLimit is the [BodyLimit] in bytes; 0 means [DefaultBodyLimit].
	BodyLimit int64

	// Compress configures [Compress]; the zero value uses its defaults.
	Compress CompressConfig
}

// Default returns the recommended chain, outermost first:
//
//  1. [RequestID]: first, so every later line, error and refusal carries
//     the request's ID, the response included.
//  2. [ClientIP]: before the logger, so its line has the real client.
//  3. [Logger]: outside everything that can fail, so it sees the final
//     status and bytes, the 500 Recover writes and the cause behind it,
//     and times the whole request.
//  4. [Recover]: outside everything that can panic, inside the logger.
//  5. [CORS] (when configured): before anything that can refuse, so
//     preflights are answered before a route or a limit sees them and
//     refusals (413, 415, 403) still carry CORS headers that let the
//     page read them.
//  6. [BodyLimit]: refuses oversized bodies before any route reads them.
//  7. [Compress]: innermost, so it compresses only what routes write and
//     the logger counts the bytes that went on the wire.
//
// Append route-specific middleware with the chain's Append, which adds it
// inside Compress: [Cookies], [CrossOrigin] (after CORS, so preflights
// pass), [ContentType] and [Timeout] (innermost, so its 503 goes through
// everything above). A nil cfg.Logger or an invalid setting panics at
// construction, from the middleware that owns it.
func Default(cfg DefaultConfig) alice.Chain {
	limit := cfg.BodyLimit
	if limit == 0 {
		limit = DefaultBodyLimit
	}
	c := alice.New(RequestID(), ClientIP(cfg.TrustedProxies...), Logger(cfg.Logger), Recover())
	if cfg.CORS != nil {
		c = c.Append(CORS(*cfg.CORS))
	}
	return c.Append(BodyLimit(limit), Compress(cfg.Compress))
}
