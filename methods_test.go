package micro_test

import (
	"net/http"
	"testing"

	"github.com/microkit-go/micro"
)

func TestMethods(t *testing.T) {
	get := micro.Handler(func(*http.Request) (any, error) { return "got", nil })
	post := micro.Handler(func(*http.Request) (any, error) { return &micro.Response{Status: 201, Body: "posted"}, nil })
	routes := micro.Methods{"GET": get, "POST": post, "PUT": nil}
	tests := []struct {
		name   string
		routes micro.Methods
		method string
		want   resp
		allow  string
	}{
		{"GET goes to the GET handler", routes, "GET",
			resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "got"}, ""},
		{"POST goes to the POST handler", routes, "POST",
			resp{Status: 201, ContentType: "text/plain; charset=utf-8", Body: "posted"}, ""},
		{"HEAD falls back to GET: its headers, no body", routes, "HEAD",
			resp{Status: 200, ContentType: "text/plain; charset=utf-8", ContentLength: "3"}, ""},
		{"OPTIONS without an entry is 204 with Allow", routes, "OPTIONS",
			resp{Status: 204, ContentLength: "-"}, "GET, HEAD, OPTIONS, POST"},
		{"an unlisted method is 405 with Allow and a problem", routes, "DELETE",
			problemResp(405, "Method Not Allowed", "Method DELETE is not allowed; allowed: GET, HEAD, OPTIONS, POST"),
			"GET, HEAD, OPTIONS, POST"},
		{"a nil handler counts as absent", routes, "PUT",
			problemResp(405, "Method Not Allowed", "Method PUT is not allowed; allowed: GET, HEAD, OPTIONS, POST"),
			"GET, HEAD, OPTIONS, POST"},
		{"keys are case-sensitive", micro.Methods{"get": get}, "GET",
			problemResp(405, "Method Not Allowed", "Method GET is not allowed; allowed: OPTIONS, get"),
			"OPTIONS, get"},
		{"HEAD without GET is 405", micro.Methods{"POST": post}, "HEAD",
			resp{Status: 405, ContentType: "application/problem+json", ContentLength: "126"}, "OPTIONS, POST"},
		{"an OPTIONS entry answers OPTIONS", micro.Methods{"OPTIONS": get}, "OPTIONS",
			resp{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "got"}, ""},
		{"a HEAD entry wins over GET", micro.Methods{"GET": post, "HEAD": get}, "HEAD",
			resp{Status: 200, ContentType: "text/plain; charset=utf-8", ContentLength: "3"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := expect(t, tt.routes, req{method: tt.method}, tt.want)
			if a := got.Header.Get("Allow"); a != tt.allow {
				t.Errorf("Allow = %q, want %q", a, tt.allow)
			}
		})
	}
}
