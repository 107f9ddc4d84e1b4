package send_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

// comment is a JSON body of some size.
type comment struct {
	ID     int    `json:"id"`
	Author string `json:"author"`
	Text   string `json:"text"`
}

// tagged serves v through send.Value behind middleware.ETag, after
// setting the headers in pre.
func tagged(status int, v any, pre http.Header) http.Handler {
	return middleware.ETag()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vv := range pre {
			w.Header()[k] = vv
		}
		send.Value(w, r, status, v)
	}))
}

func serve(h http.Handler, method string, header ...string) recorded {
	r := httptest.NewRequest(method, "/", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return recorded{w.Code, w.Header(), w.Body.String()}
}

func TestETagTagsWholeBodies(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		{"JSON", comment{1, "ann", "hello"}},
		{"string", "hello"},
		{"bytes", []byte("hello")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serve(tagged(200, tt.v, nil), "GET")
			tag := got.Header.Get("ETag")
			if len(tag) != 24 || tag[0] != '"' || tag[23] != '"' {
				t.Fatalf("ETag = %q; want a quoted strong tag of 22 characters", tag)
			}
			if again := serve(tagged(200, tt.v, nil), "GET").Header.Get("ETag"); again != tag {
				t.Errorf("same body: ETag %q, then %q", tag, again)
			}
			if head := serve(tagged(200, tt.v, nil), "HEAD"); head.Header.Get("ETag") != tag || head.Body != "" {
				t.Errorf("HEAD: ETag %q, body %q; want %q, none", head.Header.Get("ETag"), head.Body, tag)
			}
		})
	}
}

func TestETagChangesWithAnyByte(t *testing.T) {
	a := serve(tagged(200, "hello, world", nil), "GET").Header.Get("ETag")
	b := serve(tagged(200, "hello, worle", nil), "GET").Header.Get("ETag")
	c := serve(tagged(200, []byte("hello, world"), nil), "GET").Header.Get("ETag")
	if a == b {
		t.Errorf("bodies one byte apart share the ETag %q", a)
	}
	if a != c {
		t.Errorf("the same bytes as text and octets: ETag %q and %q", a, c)
	}
}

func TestETagIsNotSet(t *testing.T) {
	tests := []struct {
		name   string
		h      http.Handler
		method string
	}{
		{"without the middleware", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { send.Value(w, r, 200, "hello") }), "GET"},
		{"for a status other than 200", tagged(201, "hello", nil), "GET"},
		{"for POST", tagged(200, "hello", nil), "POST"},
		{"for PUT", tagged(200, comment{}, nil), "PUT"},
		{"for a reader", tagged(200, strings.NewReader("hello"), nil), "GET"},
		{"for a problem", tagged(200, micro.Errorf(404, "no such comment"), nil), "GET"},
		{"for nil", tagged(200, nil, nil), "GET"},
		{"for a stream", tagged(200, micro.Stream(func(yield func(int) bool) { yield(1) }), nil), "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := serve(tt.h, tt.method); got.Header.Get("ETag") != "" {
				t.Errorf("ETag = %q; want none", got.Header.Get("ETag"))
			}
		})
	}
}

func TestETagIfNoneMatch(t *testing.T) {
	v := comment{1, "ann", "hello"}
	tag := serve(tagged(200, v, nil), "GET").Header.Get("ETag")
	pre := http.Header{"Cache-Control": {"no-cache"}, "Vary": {"Origin"}}
	notModified := recorded{304, http.Header{"Etag": {tag}, "Cache-Control": {"no-cache"}, "Vary": {"Origin"}}, ""}
	tests := []struct {
		name, method, inm string
		want              int
	}{
		{"the same tag is 304", "GET", tag, 304},
		{"the weakened tag is 304 (weak comparison)", "GET", "W/" + tag, 304},
		{"the tag in a list is 304", "GET", `"old", ` + tag, 304},
		{"star is 304", "GET", "*", 304},
		{"HEAD with the same tag is 304", "HEAD", tag, 304},
		{"another tag is 200", "GET", `"old"`, 200},
		{"a malformed field is ignored: 200", "GET", tag + ` junk`, 200},
		{"a list over 64 tags is ignored: 200", "GET", strings.Repeat(`"x",`, 64) + tag, 200},
		{"POST with the same tag is no 304: the route has acted", "POST", tag, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serve(tagged(200, v, pre), tt.method, "If-None-Match", tt.inm)
			if tt.want == 304 {
				if diff := cmp.Diff(notModified, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				return
			}
			if got.Status != tt.want || (tt.method == "GET" && got.Body == "") {
				t.Errorf("status %d, body %q; want %d with the body", got.Status, got.Body, tt.want)
			}
		})
	}
}

func TestETagOfTheRouteWins(t *testing.T) {
	pre := http.Header{"Etag": {`"v7"`}, "Content-Type": {"application/vnd.api+json"}}
	if got := serve(tagged(200, comment{}, pre), "GET"); got.Header.Get("ETag") != `"v7"` || got.Status != 200 {
		t.Errorf("status %d, ETag %q; want 200, the route's \"v7\"", got.Status, got.Header.Get("ETag"))
	}
	got := serve(tagged(200, comment{}, pre), "GET", "If-None-Match", `W/"v7"`)
	want := recorded{304, http.Header{"Etag": {`"v7"`}}, ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("If-None-Match against the route's ETag (-want +got):\n%s", diff)
	}
	// Through a *micro.Response, whose header is merged before the body.
	h := middleware.ETag()(micro.Handler(func(r *http.Request) (any, error) {
		return &micro.Response{Header: http.Header{"ETag": {`"v8"`}}, Body: comment{}}, nil
	}))
	if got := serve(h, "GET", "If-None-Match", `"v8"`); got.Status != 304 {
		t.Errorf("micro.Response with its ETag: status %d; want 304", got.Status)
	}
}

func TestETagAllocatesNothingInAChain(t *testing.T) {
	r, _ := state.Attach(httptest.NewRequest("GET", "/", nil))
	var body any = []byte("hello") // a string would be copied by io.WriteString into testkit.Discard
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { send.Value(w, r, 200, body) })
	h, w := middleware.ETag()(plain), &testkit.Discard{}
	n := testing.AllocsPerRun(100, func() {
		w.Reset()
		h.ServeHTTP(w, r)
	})
	if n != 0 {
		t.Errorf("%v allocations per tagged response; want 0", n)
	}
}

func TestErrorSendsNotModifiedBare(t *testing.T) {
	var log testkit.Log
	h := middleware.ErrorLogger(log.JSONLogger(nil))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Last-Modified", "Mon, 07 Dec 2026 10:00:00 GMT")
		send.Error(w, r, micro.Errorf(304, "Not Modified").WithHeader("ETag", `"v1"`))
	}))
	want := recorded{304, http.Header{"Etag": {`"v1"`}}, ""}
	if diff := cmp.Diff(want, serve(h, "GET")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if log.String() != "" {
		t.Errorf("a 304 was logged: %s", log.String())
	}
}

// BenchmarkETag compares a JSON route with and without middleware.ETag,
// and a 304, beside net/http writing the same JSON by hand.
func BenchmarkETag(b *testing.B) {
	v := make([]comment, 8)
	for i := range v {
		v[i] = comment{i, "ann", strings.Repeat("hello, world ", 8)}
	}
	var body any = v // as a micro.Handler returns it
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { send.Value(w, r, 200, body) })
	run := func(b *testing.B, h http.Handler, inm string) {
		r := httptest.NewRequest("GET", "/", nil)
		if inm != "" {
			r.Header.Set("If-None-Match", inm)
		}
		testkit.Bench(b, h, r)
	}
	tag := serve(middleware.ETag()(plain), "GET").Header.Get("ETag")
	b.Run("impl=nethttp", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v)
		}), "")
	})
	b.Run("impl=send", func(b *testing.B) { run(b, plain, "") })
	b.Run("impl=send-etag", func(b *testing.B) { run(b, middleware.ETag()(plain), "") })
	b.Run("impl=send-etag-304", func(b *testing.B) { run(b, middleware.ETag()(plain), tag) })
	// In a chain, an earlier middleware (RequestID, Logger…) has attached
	// the request's State: ETag then clones nothing.
	b.Run("impl=send-etag-in-chain", func(b *testing.B) {
		r, _ := state.Attach(httptest.NewRequest("GET", "/", nil))
		testkit.Bench(b, middleware.ETag()(plain), r)
	})
}
