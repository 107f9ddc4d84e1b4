package micro_test

import (
	"cmp"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

// req describes a request sent over a real connection.
type req struct {
	method  string
	body    string
	ctype   string
	chunked bool // send the body without a Content-Length
	header  http.Header
}

// resp is what came back, in the parts the tests compare.
type resp struct {
	Status        int
	ContentType   string
	ContentLength string // the header as sent; "-" when absent (chunked, 204)
	Body          string
	Header        http.Header // not compared; for checks of single headers
}

// problemResp is an RFC 9457 problem response: status, title and detail
// (none when "") as they stand, JSON-escaped, in the body.
func problemResp(status int, title, detail string) resp {
	body := `{"type":"about:blank","title":"` + title + `","status":` + strconv.Itoa(status)
	if detail != "" {
		body += `,"detail":"` + detail + `"`
	}
	return resp{Status: status, ContentType: "application/problem+json", Body: body + "}"}
}

// ignoreHeader leaves resp.Header out of comparisons.
var ignoreHeader = cmpopts.IgnoreFields(resp{}, "Header")

// withLength fills in an expected Content-Length left empty: the body's.
func (r resp) withLength() resp {
	if r.ContentLength == "" {
		r.ContentLength = strconv.Itoa(len(r.Body))
	}
	return r
}

// roundTrip serves h on a real loopback server and sends q to it.
func roundTrip(t *testing.T, h http.Handler, q req) resp {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	method := q.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
		if q.chunked {
			body = io.MultiReader(body) // hides the length: chunked encoding
		}
	}
	r, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range q.header {
		r.Header[k] = v
	}
	if q.ctype != "" {
		r.Header.Set("Content-Type", q.ctype)
	}
	res := testkit.Do(t, srv.Client(), r)
	return resp{
		Status:        res.Status,
		ContentType:   res.Header.Get("Content-Type"),
		ContentLength: cmp.Or(strings.Join(res.Header.Values("Content-Length"), ","), "-"),
		Body:          res.Body,
		Header:        res.Header,
	}
}

// expect sends q to h and compares the response with want, whose empty
// Content-Length stands for the body's length. It returns the response for
// further checks.
func expect(t *testing.T, h http.Handler, q req, want resp) resp {
	t.Helper()
	got := roundTrip(t, h, q)
	if diff := gocmp.Diff(want.withLength(), got, ignoreHeader); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	return got
}

// expectCase is one row of a table of handlers, each served a plain GET.
type expectCase[H http.Handler] struct {
	name    string
	handler H
	want    resp
}

// expectEach runs expect on every case in a parallel subtest named after it.
func expectEach[H http.Handler](t *testing.T, cases []expectCase[H]) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, tc.handler, req{}, tc.want)
		})
	}
}

// post builds a server-side request with a body of known length.
func post(body, ctype string) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	return r
}

// chunked builds a request whose body length is not declared.
func chunked(body io.Reader, ctype string) *http.Request {
	r := httptest.NewRequest("POST", "/", body)
	r.ContentLength = -1
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	return r
}

// errorOf checks that err is a *micro.Error and returns its status and
// message.
func errorOf(t *testing.T, err error) (int, string) {
	t.Helper()
	if err == nil {
		return 0, ""
	}
	var e *micro.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *micro.Error", err, err)
	}
	return e.StatusCode(), e.Error()
}

// outcome is the status and detail of a body helper's error; zero for
// none.
type outcome struct {
	Status int
	Detail string
}
