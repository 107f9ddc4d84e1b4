package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
)

// exampleResult is what the example prints of a response.
type exampleResult struct{ status string }

// exampleDo sends a request to srv with a body and header pairs.
func exampleDo(srv *httptest.Server, method, path, body string, header ...string) exampleResult {
	r, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	res, err := srv.Client().Do(r)
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	return exampleResult{res.Status}
}

// A client keeps the list's ETag: sent back in If-None-Match it gets a 304
// while nobody posted, and a post with it in If-Match is stored only while
// the list is still the one the client saw.
func Example_preconditions() {
	s := NewMemoryStore([]Comment{{"one"}})
	srv := httptest.NewServer(Routes(s, Config{}))
	defer srv.Close()
	tag := s.Version()
	post := func(comment string) string {
		res := exampleDo(srv, "POST", "/api/comments", `{"comment":"`+comment+`"}`,
			"Content-Type", "application/json", "If-Match", tag)
		return res.status
	}
	fmt.Println(exampleDo(srv, "GET", "/api/comments", "", "If-None-Match", tag).status)
	fmt.Println(post("two"))
	fmt.Println(post("three, from a stale copy"))
	fmt.Println(exampleDo(srv, "GET", "/api/comments", "", "If-None-Match", tag).status)
	fmt.Println(strings.HasSuffix(s.Version(), `-2"`))
	// Output:
	// 304 Not Modified
	// 201 Created
	// 412 Precondition Failed
	// 200 OK
	// true
}
