package micro_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/microkit-go/micro"
)

// A document updated only by a client that read its current version: an
// If-Match that names an older version is refused with 412 before
// anything changes, and a conditional GET of the current one is a 304.
func ExamplePreconditions() {
	version, text := 1, "first draft"
	etag := func() string { return fmt.Sprintf(`"v%d"`, version) }
	doc := micro.Methods{
		http.MethodGet: micro.Handler(func(r *http.Request) (any, error) {
			if err := micro.Preconditions(r, etag(), time.Time{}); err != nil {
				return nil, err // 304 Not Modified
			}
			return &micro.Response{Header: http.Header{"ETag": {etag()}}, Body: text}, nil
		}),
		http.MethodPut: micro.Handler(func(r *http.Request) (any, error) {
			if err := micro.Preconditions(r, etag(), time.Time{}); err != nil {
				return nil, err // 412 Precondition Failed
			}
			s, err := micro.Text(r)
			if err != nil {
				return nil, err
			}
			version, text = version+1, s
			return &micro.Response{Header: http.Header{"ETag": {etag()}}, Body: text}, nil
		}),
	}
	do := func(method, ifMatch, ifNoneMatch, body string) {
		r := httptest.NewRequest(method, "/doc", strings.NewReader(body))
		if ifMatch != "" {
			r.Header.Set("If-Match", ifMatch)
		}
		if ifNoneMatch != "" {
			r.Header.Set("If-None-Match", ifNoneMatch)
		}
		w := httptest.NewRecorder()
		doc.ServeHTTP(w, r)
		fmt.Println(method, w.Code, w.Header().Get("ETag"), w.Body.String())
	}
	do("PUT", `"v1"`, "", "second draft")
	do("PUT", `"v1"`, "", "a lost update")
	do("GET", "", `"v2"`, "")
	// Output:
	// PUT 200 "v2" second draft
	// PUT 412  {"type":"about:blank","title":"Precondition Failed","status":412,"detail":"If-Match does not match the current ETag"}
	// GET 304 "v2"
}
