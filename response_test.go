package micro_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
)

func TestResponseHeaders(t *testing.T) {
	w := httptest.NewRecorder()
	// What middleware earlier in the chain set.
	w.Header().Set("Vary", "Origin")
	w.Header().Set("Set-Cookie", "session=1")
	w.Header().Set("Cache-Control", "no-store")
	resp := &micro.Response{
		Status: http.StatusCreated,
		Header: http.Header{
			"Vary":          {"Accept"},
			"Set-Cookie":    {"theme=dark"},
			"Cache-Control": {"max-age=60"},
			"location":      {"/api/comments/3"}, // not canonical
		},
		Body: map[string]int{"id": 3},
	}
	resp.ServeHTTP(w, httptest.NewRequest("POST", "/", nil))
	want := http.Header{
		"Vary":           {"Origin", "Accept"},
		"Set-Cookie":     {"session=1", "theme=dark"},
		"Cache-Control":  {"max-age=60"},
		"Location":       {"/api/comments/3"},
		"Content-Type":   {"application/json; charset=utf-8"},
		"Content-Length": {"8"},
	}
	if diff := cmp.Diff(want, w.Header()); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if w.Code != 201 || w.Body.String() != `{"id":3}` {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
}

func TestResponseStatusAndBody(t *testing.T) {
	expectEach(t, []expectCase[*micro.Response]{
		{"status 0 means 200", &micro.Response{Body: "ok"},
			resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "ok"}},
		{"a nil Body sends just the status", &micro.Response{Status: 202},
			resp{Status: 202, ContentLength: "0"}},
		{"a body with 204 is dropped", &micro.Response{Status: 204, Body: map[string]int{"a": 1}},
			resp{Status: 204, ContentLength: "-"}},
		{"a body with 304 is dropped", &micro.Response{Status: 304, Body: "x"},
			resp{Status: 304, ContentLength: "-"}},
		{"a 1xx status is a 500 problem", &micro.Response{Status: 103, Body: "x"},
			problemResp(500, "Internal Server Error", "")},
		{"a status over 599 is a 500 problem", &micro.Response{Status: 600},
			problemResp(500, "Internal Server Error", "")},
		{"an error Body is sent as a problem", &micro.Response{Status: 200, Body: micro.Errorf(410, "gone")},
			problemResp(410, "Gone", "gone")},
	})
}

func TestNilResponseIs204(t *testing.T) {
	expect(t, micro.Handler(func(*http.Request) (any, error) { return (*micro.Response)(nil), nil }), req{},
		resp{Status: 204, ContentLength: "-"})
}
