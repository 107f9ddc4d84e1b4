package api

import (
	"embed"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

//go:embed index.html
var page embed.FS

// MaxComment is the longest comment accepted, in characters (runes, after
// trimming spaces): a longer one is a 422 problem, so one stored comment
// takes at most some 6 KB of the file, escaped.
const MaxComment = 1000

// Routes returns the API and the page, routed by a std ServeMux, with no
// middleware but cfg.PostLimit's limiter on POST /api/comments:
// [NewHandler] puts them behind [Chain]. Only cfg.CORSOrigins and cfg.PostLimit are used: when CORSOrigins lists origins, the visitor
// cookie is made for cross-site pages (see visitors). It panics on a
// PostLimit that [Config.Validate] refuses.
func Routes(s *Store, cfg Config) *http.ServeMux {
	v := visitors{crossSite: len(cfg.CORSOrigins) > 0}
	mux := http.NewServeMux()
	// The GET routes of comments set their own ETag, the list's version
	// (see pageResponse): a client that sends its copy's tag back in
	// If-None-Match gets a 304 while no comment was added, and a POST with
	// If-Match is refused once one was.
	mux.Handle("/api/comments", micro.Methods{
		http.MethodGet:  micro.Handler(s.listComments),
		http.MethodPost: limitPosts(micro.Handler(s.createComment), cfg),
	})
	mux.Handle("/api/comments/{id}", micro.Methods{
		http.MethodGet: micro.Handler(s.postComments),
	})
	mux.Handle("/api/visitor", micro.Methods{
		http.MethodGet: micro.Handler(v.visitor),
	})
	mux.Handle("/{$}", micro.Methods{
		http.MethodGet: http.FileServerFS(page),
	})
	mux.Handle("/", micro.Handler(func(r *http.Request) (any, error) {
		// The catch-all is no route of its own: logs and metrics count
		// these requests as matching none.
		middleware.SetRoute(r, middleware.RouteUnmatched)
		return nil, micro.Errorf(http.StatusNotFound, "No route for %.200s", r.URL.Path)
	}))
	return mux
}

// listComments is GET /api/comments: a page of the comments, oldest first,
// with its Link header (see [parsePage]).
func (s *Store) listComments(r *http.Request) (any, error) {
	return s.pageResponse(r, func(page []Comment) any { return page })
}

// postComments is GET /api/comments/{id}: {"post": id, "comments": page},
// paged as GET /api/comments is.
func (s *Store) postComments(r *http.Request) (any, error) {
	return s.pageResponse(r, func(page []Comment) any {
		return struct {
			Post     string    `json:"post"`
			Comments []Comment `json:"comments"`
		}{r.PathValue("id"), page}
	})
}

// createComment is POST /api/comments, from the page's script (JSON) or
// from its form without a script (application/x-www-form-urlencoded, a
// "comment" field): once the comment is stored, 201 with it for JSON, and
// for a form a 303 See Other to the page, which the browser then loads
// with a GET (Post/Redirect/Get), so reloading it does not post again.
// Both are validated alike ([Comment.Validate]): 422 for an empty or too
// long comment, a problem for a form post too, which the browser shows as
// it is. Both answers carry the list's new ETag (see [Store.Version]), so
// a client can post again with If-Match.
//
// A post with If-Match (or If-None-Match) is an optimistic-concurrency
// write: it is stored only if the list's tag, when it is stored, passes
// [micro.Preconditions]; else it is a 412 problem and nothing is stored.
// If-Match compares strongly: a tag that Compress weakened (W/"…", on a
// gzipped list) never matches, so a page that posts with If-Match must
// send the strong tag, which the ETag of an uncompressed response or of a
// POST answer holds. Without these headers a post is stored as it comes.
func (s *Store) createComment(r *http.Request) (any, error) {
	form := isForm(r.Header.Get("Content-Type"))
	var c Comment
	if form {
		values, err := micro.Form(r)
		if err != nil {
			return nil, err
		}
		c.Comment = values.Get("comment")
		if err := c.Validate(); err != nil { // micro.JSON calls it for JSON
			return nil, err
		}
	} else {
		var err error
		if c, err = micro.JSON[Comment](r); err != nil {
			return nil, err
		}
	}
	c.Comment = strings.TrimSpace(c.Comment)
	var check func(tag string) error
	if r.Header["If-Match"] != nil || r.Header["If-None-Match"] != nil {
		check = func(tag string) error { return postPreconditions(r, tag) }
	}
	tag, err := s.AddIf(c, check)
	var refused *micro.Error
	switch {
	case errors.As(err, &refused):
		return nil, err // the 412 of check
	case err != nil:
		return nil, fmt.Errorf("storing a comment: %w", err) // a 500; the cause is logged
	}
	if form {
		res := micro.Redirect("/", http.StatusSeeOther)
		res.Header.Set("Etag", tag)
		return res, nil
	}
	return &micro.Response{Status: http.StatusCreated, Body: c, Header: http.Header{"Etag": {tag}}}, nil
}

// postPreconditions is [micro.Preconditions] for a post at a list whose
// tag is tag, with a 412 that says why when If-Match names another list.
func postPreconditions(r *http.Request, tag string) error {
	err := micro.Preconditions(r, tag, time.Time{})
	if err == nil || r.Header["If-Match"] == nil {
		return err
	}
	// The 412 may be If-None-Match's: blame If-Match only when it alone
	// fails (it is evaluated first).
	ifMatch := &http.Request{Method: r.Method, Header: http.Header{"If-Match": r.Header["If-Match"]}}
	if micro.Preconditions(ifMatch, tag, time.Time{}) != nil {
		return micro.Errorf(http.StatusPreconditionFailed,
			"If-Match does not match the list's ETag %s: a comment was posted since your copy of the list was loaded", tag)
	}
	return err
}

// isForm reports whether the Content-Type ct is an HTML form's
// application/x-www-form-urlencoded; any other goes to micro.JSON, which
// refuses what is not JSON.
func isForm(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded")
}
