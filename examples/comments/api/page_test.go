package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pageReply is what a list request got.
type pageReply struct {
	Status int
	Link   string
	Body   string
}

// getPage sends GET path to srv.
func getPage(t *testing.T, srv *httptest.Server, path string) pageReply {
	t.Helper()
	res := fetch(t, srv, http.MethodGet, path, "", nil)
	return pageReply{res.Status, res.Header.Get("Link"), res.Body}
}

// numbered returns n comments "c0", "c1", ...
func numbered(n int) []Comment {
	cs := make([]Comment, n)
	for i := range cs {
		cs[i] = Comment{"c" + strconv.Itoa(i)}
	}
	return cs
}

// listOf returns the JSON array of the comments numbered from to to-1.
func listOf(from, to int) string {
	b, _ := json.Marshal(numbered(to)[from:])
	return string(b)
}

func TestListPages(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(numbered(7)), testConfig(t)))
	defer srv.Close()
	link := func(path string, cursor, limit int, rel string) string {
		return fmt.Sprintf(`<%s?cursor=%d&limit=%d>; rel="%s"`, path, cursor, limit, rel)
	}
	const l = "/api/comments"
	for _, c := range []struct {
		name, path string
		want       pageReply
	}{
		{"without parameters, the first page of up to 50: all 7, no links", l, pageReply{200, "", listOf(0, 7)}},
		{"a first page of 3 links to the next", l + "?limit=3", pageReply{200, link(l, 3, 3, "next"), listOf(0, 3)}},
		{"a middle page links both ways", l + "?cursor=3&limit=3",
			pageReply{200, link(l, 0, 3, "prev") + ", " + link(l, 6, 3, "next"), listOf(3, 6)}},
		{"the last page, short, links back only", l + "?cursor=6&limit=3", pageReply{200, link(l, 3, 3, "prev"), listOf(6, 7)}},
		{"the cursor after the last comment is an empty page", l + "?cursor=7&limit=3", pageReply{200, link(l, 4, 3, "prev"), "[]"}},
		{"the newest page holds the last limit comments, oldest first", l + "?cursor=newest&limit=3",
			pageReply{200, link(l, 1, 3, "prev"), listOf(4, 7)}},
		{"the page before the newest one is short, never overlapping it", l + "?cursor=newest&limit=5",
			pageReply{200, link(l, 0, 2, "prev"), listOf(2, 7)}},
		{"the newest page of more than there are is all of them", l + "?cursor=newest", pageReply{200, "", listOf(0, 7)}},
		{"limit 100 is allowed", l + "?limit=100", pageReply{200, "", listOf(0, 7)}},
		{"a post's comments are paged too, linking to the post", "/api/comments/p%2F1?limit=2&cursor=2",
			pageReply{200, link("/api/comments/p%2F1", 0, 2, "prev") + ", " + link("/api/comments/p%2F1", 4, 2, "next"),
				`{"post":"p/1","comments":` + listOf(2, 4) + `}`}},
	} {
		if diff := cmp.Diff(c.want, getPage(t, srv, c.path)); diff != "" {
			t.Errorf("%s: GET %s (-want +got):\n%s", c.name, c.path, diff)
		}
	}
}

func TestListPagesRefuseBadParameters(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(numbered(7)), testConfig(t)))
	defer srv.Close()
	problem := func(detail string) pageReply {
		return pageReply{400, "", `{"type":"about:blank","title":"Bad Request","status":400,"detail":"` + detail + `"}`}
	}
	badLimit := func(v string) pageReply {
		return problem(`limit must be a whole number from 1 to 100, not \"` + v + `\"`)
	}
	badCursor := func(v string) pageReply { return problem(`cursor \"` + v + `\" is not a cursor of this list`) }
	for _, c := range []struct {
		name, query string
		want        pageReply
	}{
		{"limit 0", "limit=0", badLimit("0")},
		{"a limit over the maximum is refused, not clamped", "limit=101", badLimit("101")},
		{"a negative limit", "limit=-1", badLimit("-1")},
		{"an empty limit", "limit=", badLimit("")},
		{"a limit that is not a number", "limit=ten", badLimit("ten")},
		{"a limit with a leading zero", "limit=07", badLimit("07")},
		{"a limit with a plus sign", "limit=%2B7", badLimit("+7")},
		{"a limit too large for an int", "limit=99999999999999999999", badLimit("99999999999999999999")},
		{"a long limit is quoted in part", "limit=" + strings.Repeat("9", 100), badLimit(strings.Repeat("9", 40))},
		{"a limit given twice", "limit=3&limit=3", problem("limit must be given at most once")},
		{"a negative cursor", "cursor=-1", badCursor("-1")},
		{"an empty cursor", "cursor=", badCursor("")},
		{"a cursor that is not ours", "cursor=abc", badCursor("abc")},
		{"a cursor with a leading zero", "cursor=01", badCursor("01")},
		{"a newest cursor in capitals", "cursor=NEWEST", badCursor("NEWEST")},
		{"a cursor past the last comment", "cursor=8", problem("cursor 8 is past the last comment")},
		{"a cursor given twice", "cursor=1&cursor=2", problem("cursor must be given at most once")},
	} {
		for _, path := range []string{"/api/comments?", "/api/comments/p?"} {
			if diff := cmp.Diff(c.want, getPage(t, srv, path+c.query)); diff != "" {
				t.Errorf("%s: GET %s (-want +got):\n%s", c.name, path+c.query, diff)
			}
		}
	}
}

// linkRE matches one link of a Link header as pageLinks writes it.
var linkRE = regexp.MustCompile(`<([^>]*)>; rel="(\w+)"`)

// follow lists every comment of srv by following rel links from path, and
// returns them and the number of pages.
func follow(t *testing.T, srv *httptest.Server, path, rel string) (all []Comment, pages int) {
	t.Helper()
	all = []Comment{}
	for path != "" && pages < 100 {
		r := getPage(t, srv, path)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s = %+v", path, r)
		}
		var page []Comment
		if err := json.Unmarshal([]byte(r.Body), &page); err != nil {
			t.Fatal(err)
		}
		if rel == "prev" {
			all = append(page, all...)
		} else {
			all = append(all, page...)
		}
		pages++
		path = ""
		for _, m := range linkRE.FindAllStringSubmatch(r.Link, -1) {
			if m[2] == rel {
				path = m[1]
			}
		}
	}
	return all, pages
}

func TestListLinksReachEveryCommentOnce(t *testing.T) {
	for _, n := range []int{0, 1, 49, 50, 51, 250} {
		srv := httptest.NewServer(NewHandler(NewMemoryStore(numbered(n)), testConfig(t)))
		wantPages := max(1, (n+49)/50)
		for _, start := range []struct{ path, rel string }{
			{"/api/comments", "next"},
			{"/api/comments?cursor=newest", "prev"},
		} {
			got, pages := follow(t, srv, start.path, start.rel)
			if diff := cmp.Diff(numbered(n), got); diff != "" {
				t.Errorf("%d comments, following %s links from %s (-want +got):\n%s", n, start.rel, start.path, diff)
			}
			if pages != wantPages {
				t.Errorf("%d comments, following %s links from %s: %d pages, want %d", n, start.rel, start.path, pages, wantPages)
			}
		}
		srv.Close()
	}
}

func TestListNextLinkOfTheLastPageListsLaterComments(t *testing.T) {
	s := NewMemoryStore(numbered(3))
	srv := httptest.NewServer(NewHandler(s, testConfig(t)))
	defer srv.Close()
	if r := getPage(t, srv, "/api/comments?cursor=3&limit=2"); r.Body != "[]" {
		t.Fatalf("the page after the last comment = %+v", r)
	}
	if err := s.Add(Comment{"c3"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pageReply{200, `</api/comments?cursor=1&limit=2>; rel="prev"`, listOf(3, 4)},
		getPage(t, srv, "/api/comments?cursor=3&limit=2")); diff != "" {
		t.Errorf("the same cursor once a comment was added (-want +got):\n%s", diff)
	}
}

func TestListAnswerIsBoundedHoweverManyComments(t *testing.T) {
	// 2,000 comments of 1,000 characters: the whole list is some 2 MB in
	// ASCII, 6 MB in two-byte characters.
	long := strings.Repeat("é", MaxComment)
	s := NewMemoryStore(slices.Repeat([]Comment{{long}}, 2000))
	srv := httptest.NewServer(NewHandler(s, testConfig(t)))
	defer srv.Close()
	// What a page of MaxLimit comments of the longest kind takes: the
	// characters in UTF-8, the JSON around each, the brackets.
	one := len(`{"comment":""},`) + len(long)
	for path, n := range map[string]int{
		"/api/comments":                         DefaultLimit,
		"/api/comments?limit=100":               MaxLimit,
		"/api/comments?cursor=newest&limit=100": MaxLimit,
		"/api/comments/p?cursor=1900&limit=100": MaxLimit,
	} {
		r := getPage(t, srv, path)
		if r.Status != 200 || len(r.Body) > n*one+len(`{"post":"p","comments":[]}`) {
			t.Errorf("GET %s = %d with %d bytes; want 200 with at most %d comments, %d bytes",
				path, r.Status, len(r.Body), n, n*one)
		}
	}
}

// BenchmarkListPage measures GET /api/comments?cursor=newest through the
// routes (no middleware) from a store of n comments of 100 characters: the
// cost of a page does not grow with the store. impl=nethttp is the
// baseline of a hand-written handler encoding the same page.
func BenchmarkListPage(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		s := NewMemoryStore(slices.Repeat([]Comment{{strings.Repeat("x", 100)}}, n))
		mux := Routes(s, Config{})
		req := httptest.NewRequest(http.MethodGet, "/api/comments?cursor=newest", nil)
		b.Run(fmt.Sprintf("comments=%d/impl=micro", n), func(b *testing.B) {
			serveLoop(b, mux, req, http.StatusOK)
		})
		b.Run(fmt.Sprintf("comments=%d/impl=nethttp", n), func(b *testing.B) {
			serveLoop(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				encodeNewest(w, s)
			}), req, http.StatusOK)
		})
	}
}

// serveLoop is a benchmark's loop: h serves req, and answers status.
func serveLoop(b *testing.B, h http.Handler, req *http.Request, status int) {
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != status {
			b.Fatal(w.Code)
		}
	}
}

// encodeNewest is the baselines' hand-written newest page of s.
func encodeNewest(w http.ResponseWriter, s *Store) {
	all := s.List()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(all[max(0, len(all)-DefaultLimit):])
}

// TestListPagesRefuseAMalformedQuery: a query net/url cannot parse loses
// its malformed pairs, so "?limit=3;" or "?cursor=%zz" would be answered
// with the first page of 50, as if the parameter were absent: a 400
// instead.
func TestListPagesRefuseAMalformedQuery(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(numbered(7)), testConfig(t)))
	defer srv.Close()
	for _, c := range []struct{ query, detail string }{
		{"limit=3;", "invalid semicolon separator in query"},
		{"cursor=newest;limit=3", "invalid semicolon separator in query"},
		{"limit=%zz", `invalid URL escape \"%zz\"`},
		{"cursor=3&limit=2%", `invalid URL escape \"%\"`},
	} {
		want := pageReply{400, "", `{"type":"about:blank","title":"Bad Request","status":400,"detail":"the query is malformed: ` + c.detail + `"}`}
		for _, path := range []string{"/api/comments?", "/api/comments/p?"} {
			if diff := cmp.Diff(want, getPage(t, srv, path+c.query)); diff != "" {
				t.Errorf("GET %s (-want +got):\n%s", path+c.query, diff)
			}
		}
	}
}
