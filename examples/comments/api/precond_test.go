package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/testkit"
)

// TestVersionNamesTheList: the tag is "<epoch>-<n>", changes with each
// comment, and differs between two stores holding as many comments.
func TestVersionNamesTheList(t *testing.T) {
	s := NewMemoryStore(seed)
	v := s.Version()
	if !regexp.MustCompile(`^"[A-Za-z0-9_-]{8}-2"$`).MatchString(v) {
		t.Fatalf("Version() = %s, want \"<8 base64url characters>-2\"", v)
	}
	if other := NewMemoryStore(seed).Version(); other == v {
		t.Errorf("two stores have the same tag %s", v)
	}
	tag, err := s.AddIf(Comment{"third"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(v, `2"`) + `3"`; tag != want || s.Version() != want {
		t.Errorf("after an add: AddIf's tag %s, Version() %s; want %s", tag, s.Version(), want)
	}
	f, err := OpenStore(t.TempDir()+"/comments.json", seed)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version() == v || !strings.HasSuffix(f.Version(), `-2"`) {
		t.Errorf("a file store's tag %s; want another epoch than %s and 2 comments", f.Version(), v)
	}
}

// TestAddIfRefusedStoresNothing: the check's error comes back as it is,
// and the comment is not stored.
func TestAddIfRefusedStoresNothing(t *testing.T) {
	s := NewMemoryStore(seed)
	want := s.Version()
	var got string
	refusal := fmt.Errorf("refused")
	tag, err := s.AddIf(Comment{"x"}, func(tag string) error { got = tag; return refusal })
	if err != refusal || tag != "" || got != want {
		t.Errorf("AddIf: tag %q, error %v, check saw %s; want \"\", %v, %s", tag, err, got, refusal, want)
	}
	if diff := cmp.Diff(seed, s.List()); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

// TestConditionalGET: the list's version is the ETag of every page URL
// and of HEAD; a matching If-None-Match is a bare 304, a stale tag or one
// from another store (a restarted server) a 200, through the whole chain.
func TestConditionalGET(t *testing.T) {
	store := NewMemoryStore(seed)
	srv := httptest.NewServer(NewHandler(store, testConfig(t)))
	defer srv.Close()
	tag := store.Version()
	stale := strings.TrimSuffix(tag, `2"`) + `1"`
	otherEpoch := NewMemoryStore(seed).Version()
	for _, path := range []string{"/api/comments", "/api/comments?limit=1", "/api/comments?cursor=newest&limit=1", "/api/comments/hello-world"} {
		for _, tc := range []struct {
			name, method, inm string
			status            int
		}{
			{"GET without If-None-Match is 200", "GET", "", 200},
			{"GET with the tag is 304", "GET", tag, 304},
			{"GET with the tag in a list is 304", "GET", `"x", ` + tag, 304},
			{"GET with the tag made weak is 304", "GET", "W/" + tag, 304},
			{"GET with *  is 304", "GET", "*", 304},
			{"GET with a stale tag is 200", "GET", stale, 200},
			{"GET with another store's tag is 200", "GET", otherEpoch, 200},
			{"HEAD without If-None-Match is 200", "HEAD", "", 200},
			{"HEAD with the tag is 304", "HEAD", tag, 304},
		} {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				res := fetch(t, srv, tc.method, path, "", map[string]string{"If-None-Match": tc.inm})
				if res.Status != tc.status || res.Header.Get("ETag") != tag {
					t.Fatalf("status %d, ETag %s; want %d, %s", res.Status, res.Header.Get("ETag"), tc.status, tag)
				}
				if empty := res.Body == ""; empty != (tc.status == 304 || tc.method == "HEAD") {
					t.Errorf("body %q", res.Body)
				}
			})
		}
	}
}

// TestCompressedListTag: Compress weakens the tag of a gzipped list; sent
// back in If-None-Match it still gets a 304 with that weak tag, but If-Match
// compares strongly, so a post with it is a 412.
func TestCompressedListTag(t *testing.T) {
	var many []Comment
	for i := range 50 {
		many = append(many, Comment{fmt.Sprintf("comment number %d, long enough to be worth compressing", i)})
	}
	store := NewMemoryStore(many)
	srv := httptest.NewServer(NewHandler(store, testConfig(t)))
	defer srv.Close()
	gz := map[string]string{"Accept-Encoding": "gzip"}
	first := fetch(t, srv, "GET", "/api/comments", "", gz)
	weak := "W/" + store.Version()
	if first.Status != 200 || first.Header.Get("Content-Encoding") != "gzip" || first.Header.Get("ETag") != weak {
		t.Fatalf("gzipped GET: %d, Content-Encoding %q, ETag %s; want 200, gzip, %s",
			first.Status, first.Header.Get("Content-Encoding"), first.Header.Get("ETag"), weak)
	}
	again := fetch(t, srv, "GET", "/api/comments", "", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": weak})
	if again.Status != 304 || again.Header.Get("ETag") != weak {
		t.Errorf("GET with the weak tag: %d, ETag %s; want 304, %s", again.Status, again.Header.Get("ETag"), weak)
	}
	post := fetch(t, srv, "POST", "/api/comments", `{"comment":"x"}`, map[string]string{"Content-Type": "application/json", "If-Match": weak})
	if post.Status != 412 || len(store.List()) != len(many) {
		t.Errorf("POST with If-Match %s: %d, %d comments; want 412, %d", weak, post.Status, len(store.List()), len(many))
	}
}

// TestPostPreconditions: a post with If-Match is stored only while the
// list is the one it names; every stored post answers the list's new tag.
func TestPostPreconditions(t *testing.T) {
	store := NewMemoryStore(seed)
	srv := httptest.NewServer(NewHandler(store, testConfig(t)))
	defer srv.Close()
	epoch := strings.TrimSuffix(strings.TrimPrefix(store.Version(), `"`), `-2"`)
	tagOf := func(n int) string { return versionTag(epoch, n) }
	json := map[string]string{"Content-Type": "application/json"}
	with := func(k, v string) map[string]string {
		return map[string]string{"Content-Type": "application/json", k: v}
	}
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
		etag   string // of the answer
		n      int    // comments stored after it
	}{
		{"without If-Match a post is stored", json, 201, tagOf(3), 3},
		{"a stale If-Match is 412 and nothing is stored", with("If-Match", tagOf(2)), 412, "", 3},
		{"another store's tag is 412", with("If-Match", NewMemoryStore(make([]Comment, 3)).Version()), 412, "", 3},
		{"a malformed If-Match is 412", with("If-Match", "v3"), 412, "", 3},
		{"the current tag is 201 with the next", with("If-Match", tagOf(3)), 201, tagOf(4), 4},
		{"the current tag in a list is 201", with("If-Match", `"x", `+tagOf(4)), 201, tagOf(5), 5},
		{"* is 201", with("If-Match", "*"), 201, tagOf(6), 6},
		{"If-None-Match * is 412: the list exists", with("If-None-Match", "*"), 412, "", 6},
		{"If-None-Match with an old tag is 201", with("If-None-Match", tagOf(2)), 201, tagOf(7), 7},
		{"If-None-Match with the current tag is 412", with("If-None-Match", tagOf(7)), 412, "", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := fetch(t, srv, "POST", "/api/comments", `{"comment":"hi"}`, tc.header)
			if res.Status != tc.status || res.Header.Get("ETag") != tc.etag || len(store.List()) != tc.n {
				t.Fatalf("status %d, ETag %q, %d comments; want %d, %q, %d; body %s",
					res.Status, res.Header.Get("ETag"), len(store.List()), tc.status, tc.etag, tc.n, res.Body)
			}
			if tc.status == 412 {
				testkit.Problem(t, res.Header, []byte(res.Body))
			}
		})
	}
	res := fetch(t, srv, "POST", "/api/comments", `{"comment":"hi"}`, with("If-Match", tagOf(2)))
	want := "If-Match does not match the list's ETag " + tagOf(7) + ": a comment was posted since your copy of the list was loaded"
	if p := testkit.Problem(t, res.Header, []byte(res.Body)); p.Detail != want {
		t.Errorf("detail %q, want %q", p.Detail, want)
	}
	// If-Match holds; If-None-Match refuses: the 412 must not blame If-Match.
	both := with("If-Match", tagOf(7))
	both["If-None-Match"] = tagOf(7)
	res = fetch(t, srv, "POST", "/api/comments", `{"comment":"hi"}`, both)
	if p := testkit.Problem(t, res.Header, []byte(res.Body)); res.Status != 412 || strings.Contains(p.Detail, "If-Match") || len(store.List()) != 7 {
		t.Errorf("status %d, detail %q, %d comments; want a 412 of If-None-Match, 7 comments", res.Status, p.Detail, len(store.List()))
	}
}

// TestFormPostETag: a form post answers its 303 with the list's new tag,
// and a stale If-Match refuses it as it refuses JSON.
func TestFormPostETag(t *testing.T) {
	store := NewMemoryStore(seed)
	srv := httptest.NewServer(NewHandler(store, testConfig(t)))
	defer srv.Close()
	tag := store.Version()
	sameOrigin := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin", "If-Match": tag}
	res := postForm(t, srv, "comment=hi", sameOrigin)
	if res.Status != 303 || res.Header.Get("ETag") != store.Version() || len(store.List()) != 3 {
		t.Fatalf("form post: %d, ETag %q, %d comments; want 303, %s, 3", res.Status, res.Header.Get("ETag"), len(store.List()), store.Version())
	}
	if res := postForm(t, srv, "comment=again", sameOrigin); res.Status != 412 || len(store.List()) != 3 {
		t.Errorf("form post with the old tag: %d, %d comments; want 412, 3", res.Status, len(store.List()))
	}
}

// TestConcurrentIfMatchPosts: of many posts at once with the same If-Match,
// exactly one is stored; the others are 412, in memory and with a file.
// With unconditional adds racing them, those are all stored, and at most
// one conditional post is.
func TestConcurrentIfMatchPosts(t *testing.T) {
	file, err := OpenStore(t.TempDir()+"/comments.json", seed)
	if err != nil {
		t.Fatal(err)
	}
	for name, store := range map[string]*Store{"memory": NewMemoryStore(seed), "file": file} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(Routes(store, Config{}))
			defer srv.Close()
			const posts = 16
			// race posts posts with If-Match at once, and plain adds beside
			// them, and returns how many posts got each status.
			race := func(plain int) map[int]int {
				tag := store.Version()
				start := make(chan struct{})
				statuses := make([]int, posts)
				var wg sync.WaitGroup
				for i := range posts {
					wg.Go(func() {
						<-start
						res := fetch(t, srv, "POST", "/api/comments", fmt.Sprintf(`{"comment":"post %d"}`, i),
							map[string]string{"Content-Type": "application/json", "If-Match": tag})
						statuses[i] = res.Status
					})
				}
				for i := range plain {
					wg.Go(func() {
						<-start
						if err := store.Add(Comment{fmt.Sprintf("plain %d", i)}); err != nil {
							t.Error(err)
						}
					})
				}
				close(start)
				wg.Wait()
				count := map[int]int{}
				for _, s := range statuses {
					count[s]++
				}
				return count
			}
			if diff := cmp.Diff(map[int]int{http.StatusCreated: 1, http.StatusPreconditionFailed: posts - 1}, race(0)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if n := len(store.List()); n != len(seed)+1 {
				t.Errorf("%d comments, want %d", n, len(seed)+1)
			}
			count := race(posts)
			if count[http.StatusCreated] > 1 || count[http.StatusCreated]+count[http.StatusPreconditionFailed] != posts {
				t.Errorf("with plain adds: statuses %v; want at most one 201, the others 412", count)
			}
			if n, want := len(store.List()), len(seed)+1+posts+count[http.StatusCreated]; n != want {
				t.Errorf("%d comments, want %d", n, want)
			}
		})
	}
	reopened, err := OpenStore(file.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(file.List(), reopened.List()); diff != "" {
		t.Errorf("the file (-memory +file):\n%s", diff)
	}
}

// BenchmarkListNotModified measures a conditional GET of the newest page
// whose If-None-Match is the list's tag, through the routes (no
// middleware), from stores of n comments: a 304 costs no encoding, however
// long the page. impl=nethttp is the baseline of a hand-written handler
// comparing the header with the tag.
func BenchmarkListNotModified(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		s := NewMemoryStore(slices.Repeat([]Comment{{strings.Repeat("x", 100)}}, n))
		mux := Routes(s, Config{})
		req := httptest.NewRequest(http.MethodGet, "/api/comments?cursor=newest", nil)
		req.Header.Set("If-None-Match", s.Version())
		b.Run(fmt.Sprintf("comments=%d/impl=micro", n), func(b *testing.B) {
			serveLoop(b, mux, req, http.StatusNotModified)
		})
		b.Run(fmt.Sprintf("comments=%d/impl=nethttp", n), func(b *testing.B) {
			serveLoop(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tag := s.Version()
				w.Header().Set("Etag", tag)
				if r.Header.Get("If-None-Match") == tag {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				encodeNewest(w, s)
			}), req, http.StatusNotModified)
		})
	}
}
