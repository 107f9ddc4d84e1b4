package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/testkit"
)

// postForm posts body as an HTML form does, with the header given, and
// returns the response without following a redirect.
func postForm(t *testing.T, srv *httptest.Server, body string, header map[string]string) testkit.Response {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/api/comments", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	return testkit.Do(t, client, r)
}

// TestFormPost: the page's form, posted by a browser without a script,
// stores the comment and redirects to the page with 303 (Post/Redirect/Get);
// it is validated as JSON posts are.
func TestFormPost(t *testing.T) {
	store := NewMemoryStore(nil)
	srv := httptest.NewServer(NewHandler(store, testConfig(t)))
	defer srv.Close()
	sameOrigin := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	for _, tc := range []struct {
		name, body       string
		status           int
		location, detail string
	}{
		{"a comment is stored and answered with 303 to the page", "comment=+Hello%2C+%3Cb%3Eworld%3C%2Fb%3E+", 303, "/", ""},
		{"an empty comment is a 422 problem", "comment=+++", 422, "", "comment must not be empty"},
		{"a missing field is a 422 problem", "other=x", 422, "", "comment must not be empty"},
		{"1001 characters are a 422 problem", "comment=" + strings.Repeat("%C3%A9", 1001), 422, "",
			"comment must be at most 1000 characters, not 1001"},
		{"a bad escape is a 400 problem", "comment=%zz", 400, "", `Invalid form: invalid URL escape "%zz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := postForm(t, srv, tc.body, sameOrigin)
			if res.Status != tc.status || res.Header.Get("Location") != tc.location {
				t.Fatalf("status %d, Location %q; want %d, %q", res.Status, res.Header.Get("Location"), tc.status, tc.location)
			}
			if tc.detail != "" {
				if p := testkit.Problem(t, res.Header, []byte(res.Body)); p.Detail != tc.detail {
					t.Errorf("detail %q, want %q", p.Detail, tc.detail)
				}
			}
		})
	}
	if diff := cmp.Diff([]Comment{{"Hello, <b>world</b>"}}, store.List()); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

// TestCrossSiteFormPostIsRefused: another site's page posting the form
// (the classic CSRF) is a 403 before the route runs, and nothing is stored.
func TestCrossSiteFormPostIsRefused(t *testing.T) {
	store := NewMemoryStore(nil)
	srv := httptest.NewServer(NewHandler(store, testConfig(t)))
	defer srv.Close()
	for _, header := range []map[string]string{
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"}, // an older browser: no Sec-Fetch-Site
	} {
		res := postForm(t, srv, "comment=forged", header)
		if res.Status != 403 {
			t.Errorf("%v: status %d, want 403", header, res.Status)
		}
	}
	if got := store.List(); len(got) != 0 {
		t.Errorf("stored %v, want nothing", got)
	}
}
