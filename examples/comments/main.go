// Command comments serves the comments API of the micro README and the small
// page that uses it; package [api] holds its routes, store and page, and
// [api.Run] this command's body.
//
//	go run ./examples/comments [-addr :3000] [-data comments.json] [-grace 10s]
//		[-cors-origins https://app.example.com,...] [-cookie-key KEY]
//		[-trusted-proxies 10.0.0.0/8,...] [-post-limit 10] [-post-window 1m]
//
// Without -data the comments live in memory, seeded from the embedded
// comments.json. With -data they are kept in that file, created if
// missing (see [api.OpenStore]); a torn last line cut from it is logged.
//
// Every request goes through the middleware chain of [api.Chain], logging
// one line per request to stderr. -cors-origins lists the pages on other
// origins that may call the API with cookies (CORS with credentials, and
// trusted by the CSRF protection); -cookie-key signs the visitor cookie
// (at least 32 bytes; without it a random key is made at start, so
// cookies do not survive a restart). -trusted-proxies lists the
// addresses or prefixes of the proxies in front of the server whose
// X-Forwarded-For names the client (see middleware.ClientIP).
//
// -post-limit and -post-window limit POST /api/comments per client
// address: by default 10 comments a minute, 10 of them at once, restored
// at one every 6 s. A POST over the limit is a 429 problem with
// Retry-After; every POST answer carries the RateLimit-Policy and
// RateLimit headers; GETs are never limited. -post-limit 0 means no
// limit; a negative one, or a -post-window that is not a whole number of
// seconds (at least 1s), is refused. The counts live in this process.
//
// A configuration the middleware refuses is reported before anything
// listens, and the program exits 1; -h prints the flags and exits 0, a
// bad flag exits 2.
//
// SIGINT or SIGTERM stops the server gracefully: it stops accepting, lets
// requests in flight finish for up to -grace, then exits.
package main

import (
	"context"
	"flag"
	"io"

	"github.com/microkit-go/micro/examples/comments/api"
)

func main() {
	api.Main(func(ctx context.Context, flags *flag.FlagSet, args []string, stderr io.Writer) error {
		return api.Run(ctx, flags, args, stderr, api.Options{})
	})
}
