// Package api is the comments API of the micro README and the small page
// that uses it: the routes, the store of comments and its data file, and
// the middleware chain they run behind. The command in the directory above
// serves it.
//
// Routes:
//
//	GET  /api/comments       a page of the comments, oldest first, with a Link header to the pages around it
//	GET  /api/comments/{id}  {"post": id, "comments": [...]}, paged the same way
//	POST /api/comments       {"comment": "..."}: 201 with the stored comment once it is stored; 422 if empty or over 1000 characters; 429 over the limit of Config.PostLimit
//	GET  /api/visitor        {"visitor": id, "new": bool}, kept in a signed cookie
//	GET  /                   a page that lists and posts comments
//
// Any other path is a 404 problem, and a method a route does not serve is
// a 405 problem.
//
// The lists are paged: ?limit=N (1 to 100, default 50) and ?cursor=C, a
// cursor from the Link header's rel="next" or rel="prev" link, or "newest"
// for the newest page; see page.go.
//
// [NewMemoryStore] keeps the comments in memory. [OpenStore] keeps them in
// a data file (created if missing): a log of one JSON line per comment
// that each save appends to and fsyncs, and a POST is answered only once
// its comment is on disk. A file in the first format, a JSON array, is
// converted on open; a torn last line, left by a crash during an append,
// is cut; any other file is refused and left as it is. A data file serves
// one server: a second one given it refuses to save rather than write over
// the first's comments. See datafile.go.
//
// [NewHandler] puts the routes behind the middleware chain of [Chain]:
// request IDs, one log line per request, panic recovery, CORS with
// credentials for [Config] CORSOrigins, CSRF protection, a 64 KiB body
// limit, gzip, signed cookies and a 10 s timeout per route. [NewServer]
// is the server the command runs it in, and [Serve] how it serves until
// told to stop, then shuts down gracefully. [Config] PostLimit limits
// POST /api/comments per client address, through the limiter of
// [middleware.RateLimiter] around that route alone.
//
// [Run] is the whole command, flags included, so that another command can
// add its own flags and a shared rate limit store through [Options].
package api
