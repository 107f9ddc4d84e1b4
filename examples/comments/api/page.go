package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/microkit-go/micro"
)

// Paging of the comment lists. A list answers one page: at most limit
// comments, oldest first, from a cursor. The query parameters:
//
//	limit   how many comments, 1 to MaxLimit; DefaultLimit without it.
//	cursor  where the page starts: a cursor from a Link header, or
//	        "newest" for the last limit comments. Without it, the first page.
//
// Cursors are opaque to clients: take them from the Link header (RFC 8288),
// which names the next page (rel="next") when later comments exist, and
// the previous one (rel="prev") when earlier comments exist. The demo never
// deletes a comment, so a cursor stays valid for good: the next link of the
// last page, taken once more comments arrived, lists them. A limit out of
// range, a cursor that is not one of ours or past the last comment,
// either parameter given twice, or a query that does not parse (as
// "limit=3;", which would lose the pair), is a 400 problem: a request the server
// cannot answer as asked gets no silently different answer.
const (
	// DefaultLimit is the limit of a page without a limit parameter.
	DefaultLimit = 50
	// MaxLimit is the largest limit a page may ask for.
	MaxLimit = 100
	// cursorNewest is the cursor of the newest page: what the demo's
	// page shows first.
	cursorNewest = "newest"
)

// pageQuery is a parsed page request.
type pageQuery struct {
	limit  int
	start  int  // index of the page's first comment, unless newest
	newest bool // the page ends at the newest comment
}

// parsePage parses the limit and cursor query parameters of r. Bad values
// are a 400 problem error that quotes at most 40 bytes of them.
func parsePage(r *http.Request) (pageQuery, error) {
	p := pageQuery{limit: DefaultLimit}
	q, err := url.ParseQuery(r.URL.RawQuery) // r.URL.Query() drops malformed pairs
	if err != nil {
		return p, micro.Errorf(http.StatusBadRequest, "the query is malformed: %v", err)
	}
	for _, name := range []string{"limit", "cursor"} {
		if len(q[name]) > 1 {
			return p, micro.Errorf(http.StatusBadRequest, "%s must be given at most once", name)
		}
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > MaxLimit || strconv.Itoa(n) != v[0] {
			return p, micro.Errorf(http.StatusBadRequest, "limit must be a whole number from 1 to %d, not %.40q", MaxLimit, v[0])
		}
		p.limit = n
	}
	if v, ok := q["cursor"]; ok {
		c := v[0]
		if c == cursorNewest {
			p.newest = true
			return p, nil
		}
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || strconv.Itoa(n) != c {
			return p, micro.Errorf(http.StatusBadRequest, "cursor %.40q is not a cursor of this list", c)
		}
		p.start = n
	}
	return p, nil
}

// page returns the comments of the page q asks for, the index of its first
// comment, how many comments there are, and the tag of the list they were
// read from (see [Store.Version]), all in one locked read, so the tag
// never describes another list than the page's. A cursor past the last
// comment is a 400 problem error. The slice is shared: callers must not
// change it.
func (s *Store) page(q pageQuery) (comments []Comment, start, total int, tag string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	total, start = len(s.comments), q.start
	if q.newest {
		start = max(0, total-q.limit)
	}
	if start > total {
		return nil, 0, 0, "", micro.Errorf(http.StatusBadRequest, "cursor %d is past the last comment", start)
	}
	end := min(total, start+q.limit)
	return s.comments[start:end:end], start, total, s.versionLocked(), nil // never nil: s.comments is not
}

// pageLinks returns the Link header value of a page of limit comments from
// start, of total, served at path (escaped): rel="prev" when comments
// precede it, rel="next" when comments follow it, "" when neither does. The
// previous page ends where this one starts, so following prev links never
// lists a comment twice.
func pageLinks(path string, start, n, limit, total int) string {
	link := func(cursor, limit int, rel string) string {
		v := url.Values{"cursor": {strconv.Itoa(cursor)}, "limit": {strconv.Itoa(limit)}}
		return "<" + path + "?" + v.Encode() + `>; rel="` + rel + `"`
	}
	var links string
	if start > 0 {
		links = link(max(0, start-limit), min(limit, start), "prev")
	}
	if end := start + n; end < total {
		if links != "" {
			links += ", "
		}
		links += link(end, limit, "next")
	}
	return links
}

// pageResponse answers r with body(page), a page of s's comments, its Link
// header and, as its ETag, the tag of the whole list ([Store.Version]):
// what a URL's page holds, query included, is a function of the list, so
// one tag per version of the list is right for every page URL. A request
// whose If-None-Match matches it gets a 304 before the page is encoded.
func (s *Store) pageResponse(r *http.Request, body func([]Comment) any) (any, error) {
	q, err := parsePage(r)
	if err != nil {
		return nil, err
	}
	comments, start, total, tag, err := s.page(q)
	if err != nil {
		return nil, err
	}
	if err := micro.Preconditions(r, tag, time.Time{}); err != nil {
		return nil, err
	}
	res := &micro.Response{Body: body(comments), Header: http.Header{"Etag": {tag}}}
	if links := pageLinks(r.URL.EscapedPath(), start, len(comments), q.limit, total); links != "" {
		res.Header["Link"] = []string{links}
	}
	return res, nil
}
