package api

import (
	"fmt"
	"io"
	"net/http/httptest"
)

// The list of comments is paged: the newest page first, as the demo's page
// shows it, then the older ones by their rel="prev" links.
func Example_paging() {
	s := NewMemoryStore([]Comment{{"one"}, {"two"}, {"three"}, {"four"}, {"five"}})
	srv := httptest.NewServer(Routes(s, Config{}))
	defer srv.Close()
	for _, path := range []string{
		"/api/comments?cursor=newest&limit=2",
		"/api/comments?cursor=1&limit=2",
		"/api/comments?limit=500",
	} {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Printf("GET %s\n%d %s\n", path, res.StatusCode, body)
		if link := res.Header.Get("Link"); link != "" {
			fmt.Printf("Link: %s\n", link)
		}
	}
	// Output:
	// GET /api/comments?cursor=newest&limit=2
	// 200 [{"comment":"four"},{"comment":"five"}]
	// Link: </api/comments?cursor=1&limit=2>; rel="prev"
	// GET /api/comments?cursor=1&limit=2
	// 200 [{"comment":"two"},{"comment":"three"}]
	// Link: </api/comments?cursor=0&limit=1>; rel="prev", </api/comments?cursor=3&limit=2>; rel="next"
	// GET /api/comments?limit=500
	// 400 {"type":"about:blank","title":"Bad Request","status":400,"detail":"limit must be a whole number from 1 to 100, not \"500\""}
}
