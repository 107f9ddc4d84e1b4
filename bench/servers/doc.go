// Package servers builds the same small comments API on seven servers,
// so they can be loaded side by side: a hand-written net/http server, micro's
// routes alone and behind the middleware chain (logging through slog's JSON
// handler or middleware.JSONHandler), and chi, gin and gorilla
// with the middleware their users would add.
//
// Every server answers
//
//	GET  /api/comments       200, the first 10 comments of the store
//	GET  /api/comments/{id}  200, that comment; 404 for an unknown or non-numeric id
//	POST /api/comments       201, the created comment; 422 for an empty text
//
// in JSON. Each server has its own [Store].
package servers
