package api

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var seed = []Comment{{"First"}, {"Nice post"}}

type reply struct {
	Status int
	Type   string
	Body   string
}

// do sends a request with a body of type ctype ("": no Content-Type) to
// srv.
func do(t *testing.T, srv *httptest.Server, method, path, ctype, body string) reply {
	t.Helper()
	res := fetch(t, srv, method, path, body, map[string]string{"Content-Type": ctype})
	return reply{res.Status, res.Header.Get("Content-Type"), res.Body}
}

// TestSeedIsTheEmbeddedFile: a new store starts with the comments of
// comments.json, which the tests' seed repeats.
func TestSeedIsTheEmbeddedFile(t *testing.T) {
	if diff := cmp.Diff(seed, Seed()); diff != "" {
		t.Errorf("Seed() (-want +got):\n%s", diff)
	}
}

func TestAPI(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(seed), testConfig(t)))
	defer srv.Close()
	const js = "application/json; charset=utf-8"
	const problem = "application/problem+json"
	steps := []struct {
		name                   string
		method, path, ct, body string
		want                   reply
	}{
		{"the seed comments", "GET", "/api/comments", "", "",
			reply{200, js, `[{"comment":"First"},{"comment":"Nice post"}]`}},
		{"a post's comments in the seed's shape", "GET", "/api/comments/hello-world", "", "",
			reply{200, js, `{"post":"hello-world","comments":[{"comment":"First"},{"comment":"Nice post"}]}`}},
		{"a new comment is 201", "POST", "/api/comments", "application/json", `{"comment":"  Great <b>read</b>  "}`,
			reply{201, js, `{"comment":"Great <b>read</b>"}`}},
		{"and is listed", "GET", "/api/comments", "", "",
			reply{200, js, `[{"comment":"First"},{"comment":"Nice post"},{"comment":"Great <b>read</b>"}]`}},
		{"an empty comment is 422", "POST", "/api/comments", "application/json", `{"comment":"   "}`,
			reply{422, problem, `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"comment must not be empty","errors":[{"detail":"comment must not be empty","pointer":"/comment"}]}`}},
		{"a missing comment is 422", "POST", "/api/comments", "application/json", `{}`,
			reply{422, problem, `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"comment must not be empty","errors":[{"detail":"comment must not be empty","pointer":"/comment"}]}`}},
		{"1000 characters are accepted", "POST", "/api/comments", "application/json", `{"comment":"` + strings.Repeat("é", 1000) + `"}`,
			reply{201, js, `{"comment":"` + strings.Repeat("é", 1000) + `"}`}},
		{"1001 characters are 422", "POST", "/api/comments", "application/json", `{"comment":"` + strings.Repeat("é", 1001) + `"}`,
			reply{422, problem, `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"comment must be at most 1000 characters, not 1001","errors":[{"detail":"comment must be at most 1000 characters, not 1001","pointer":"/comment"}]}`}},
		{"invalid JSON is 400", "POST", "/api/comments", "application/json", `{"comment":`,
			reply{400, problem, `{"type":"about:blank","title":"Bad Request","status":400,"detail":"Invalid JSON: unexpected end of JSON input (at byte 11)"}`}},
		{"a text post is 415", "POST", "/api/comments", "text/plain", `comment=hi`,
			reply{415, problem, `{"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"Unsupported Content-Type \"text/plain\": expected application/json or a +json type"}`}},
		{"other methods are 405", "DELETE", "/api/comments", "", "",
			reply{405, problem, `{"type":"about:blank","title":"Method Not Allowed","status":405,"detail":"Method DELETE is not allowed; allowed: GET, HEAD, OPTIONS, POST"}`}},
		{"posting to a post is 405", "POST", "/api/comments/1", "application/json", `{"comment":"x"}`,
			reply{405, problem, `{"type":"about:blank","title":"Method Not Allowed","status":405,"detail":"Method POST is not allowed; allowed: GET, HEAD, OPTIONS"}`}},
		{"an unknown route is a 404 problem", "GET", "/api/nope", "", "",
			reply{404, problem, `{"type":"about:blank","title":"Not Found","status":404,"detail":"No route for /api/nope"}`}},
	}
	for _, s := range steps {
		if diff := cmp.Diff(s.want, do(t, srv, s.method, s.path, s.ct, s.body)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
}

func TestPage(t *testing.T) {
	srv := httptest.NewServer(NewHandler(NewMemoryStore(seed), testConfig(t)))
	defer srv.Close()
	got := do(t, srv, "GET", "/", "", "")
	if got.Status != 200 || got.Type != "text/html; charset=utf-8" || !strings.Contains(got.Body, `call("/api/comments"`) || !strings.Contains(got.Body, `fetch(url`) {
		t.Errorf("GET / = %d %q, body:\n%.300s", got.Status, got.Type, got.Body)
	}
	if got := do(t, srv, "POST", "/", "", ""); got.Status != 405 {
		t.Errorf("POST / = %d, want 405", got.Status)
	}
}

// readFile reads the data file, which must be a comments log without a
// torn last line.
func readFile(t *testing.T, path string) []Comment {
	t.Helper()
	c, err := ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDataFile(t *testing.T) {
	s, path := tempStore(t, seed)
	if diff := cmp.Diff(seed, readFile(t, path)); diff != "" {
		t.Fatalf("a missing file is created with the seed (-want +got):\n%s", diff)
	}
	srv := httptest.NewServer(NewHandler(s, testConfig(t)))
	if got := do(t, srv, "POST", "/api/comments", "application/json", `{"comment":"kept"}`); got.Status != 201 {
		t.Fatalf("POST = %+v", got)
	}
	srv.Close()

	want := append(seed[:len(seed):len(seed)], Comment{"kept"})
	if diff := cmp.Diff(want, readFile(t, path)); diff != "" {
		t.Errorf("file after the 201 (-want +got):\n%s", diff)
	}
	restarted := openStore(t, path, nil)
	if diff := cmp.Diff(want, restarted.List()); diff != "" {
		t.Errorf("after a restart (-want +got):\n%s", diff)
	}
	if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
}

func TestDataFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not JSON":     "{{",
		"not an array": `{"comment":"x"}`,
		"null":         "null",
		// A log of comments is refused unless it is one this store wrote.
		"empty":                                 "",
		"a log without its header":              `{"comment":"x"}` + "\n",
		"a header of another version":           `{"format":"micro-comments-log","version":2}` + "\n",
		"the header without its newline":        strings.TrimSuffix(logHeader, "\n"),
		"a line that is not JSON before others": logHeader + "{{\n" + `{"comment":"x"}` + "\n",
		"a line that is not an object":          logHeader + "null\n",
		"an empty line":                         logHeader + "\n" + `{"comment":"x"}` + "\n",
		"a JSON array that is not comments":     `[1, 2]`,
		"a JSON array cut short":                `[{"comment":"x"}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := OpenStore(path, seed); err == nil {
			t.Errorf("%s: opened without error", name)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("%s: the unreadable file was overwritten: %q", name, b)
		}
	}
}

func TestFailedWriteIsNotStored(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "comments.json")
	s := openStore(t, path, seed)
	s.path = filepath.Join(dir, "missing-dir", "comments.json") // every save now fails
	srv := httptest.NewServer(NewHandler(s, testConfig(t)))
	defer srv.Close()
	got := do(t, srv, "POST", "/api/comments", "application/json", `{"comment":"lost"}`)
	if got.Status != 500 || strings.Contains(got.Body, "missing-dir") {
		t.Errorf("POST with a failing disk = %+v; want a 500 that names no path", got)
	}
	if diff := cmp.Diff(seed, s.List()); diff != "" {
		t.Errorf("a comment that was not saved is listed (-want +got):\n%s", diff)
	}
}

func TestConcurrentPostsAreAllStored(t *testing.T) {
	s, path := tempStore(t, seed)
	srv := httptest.NewServer(NewHandler(s, testConfig(t)))
	defer srv.Close()
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got := do(t, srv, "POST", "/api/comments", "application/json", fmt.Sprintf(`{"comment":"c%d"}`, i))
			if got.Status != 201 {
				t.Errorf("POST %d = %+v", i, got)
			}
		})
	}
	wg.Wait()
	if got := len(readFile(t, path)); got != len(seed)+n {
		t.Errorf("file holds %d comments, want %d", got, len(seed)+n)
	}
}

func TestDataFileWithoutSeedIsAnEmptyArray(t *testing.T) {
	path := filepath.Join(t.TempDir(), "comments.json")
	if _, err := OpenStore(path, nil); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(path, nil)
	if err != nil {
		t.Fatalf("reopening the file it created: %v", err)
	}
	if got := s.List(); len(got) != 0 {
		t.Errorf("comments %v, want none", got)
	}
}
