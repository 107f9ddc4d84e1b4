package interop_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
	"github.com/microkit-go/micro"
)

// TestRouterDefaultsNeedTheAdapters shows why each adapter and setting in
// the router files is there: without it, the router answers differently
// from ServeMux. Each row is one router with one of them left out.
func TestRouterDefaultsNeedTheAdapters(t *testing.T) {
	items := micro.Handler(getItem)
	things := micro.Methods{http.MethodGet: micro.Handler(listThings)}
	cases := []struct {
		name   string
		router func(a *testAPI, logs io.Writer) http.Handler
		path   string
		status int
		body   string // when not empty
		header map[string]string
	}{
		{
			name: "chi without chiPathValues keeps escapes in the param",
			router: func(*testAPI, io.Writer) http.Handler {
				r := chi.NewRouter()
				r.Handle("/items/{id}", items)
				return r
			},
			path: "/items/%34%32", status: 400, body: problem(400, `id "%34%32" is not a number`),
		},
		{
			name: "gorilla without gorillaPathValues leaves PathValue empty",
			router: func(*testAPI, io.Writer) http.Handler {
				r := mux.NewRouter()
				r.Handle("/items/{id}", items)
				return r
			},
			path: "/items/42", status: 400, body: problem(400, `id "" is not a number`),
		},
		{
			name: "gorilla without UseEncodedPath splits a param at %2F",
			router: func(*testAPI, io.Writer) http.Handler {
				r := mux.NewRouter()
				r.Use(gorillaPathValues)
				r.NotFoundHandler = notFound
				r.Handle("/items/{id}", items)
				return r
			},
			path: "/items/4%2F2", status: 404, body: problem(404, `No route for "/items/4/2"`),
		},
		{
			name: "gorilla runs r.Use middleware only for matched routes, not its NotFoundHandler",
			router: func(_ *testAPI, logs io.Writer) http.Handler {
				r := mux.NewRouter()
				r.Use(testChain(logs).Then)
				r.NotFoundHandler = notFound
				return r
			},
			path: "/nope", status: 404, header: map[string]string{"X-Request-Id": ""},
		},
		{
			name: "gin without UseRawPath splits a param at %2F",
			router: func(*testAPI, io.Writer) http.Handler {
				gin.SetMode(gin.TestMode)
				e := gin.New()
				e.NoRoute(ginRoute(notFound))
				e.GET("/items/:id", ginRoute(items))
				return e
			},
			path: "/items/4%2F2", status: 404, body: problem(404, `No route for "/items/4/2"`),
		},
		{
			name: "gin with its default RedirectTrailingSlash redirects",
			router: func(*testAPI, io.Writer) http.Handler {
				gin.SetMode(gin.TestMode)
				e := gin.New()
				e.Any("/things", ginRoute(things))
				return e
			},
			path: "/things/", status: 301, header: map[string]string{"Location": "/things"},
		},
		{
			name: "gin without NoRoute answers its own text 404",
			router: func(*testAPI, io.Writer) http.Handler {
				gin.SetMode(gin.TestMode)
				return gin.New()
			},
			path: "/nope", status: 404, body: "404 page not found", header: map[string]string{"Content-Type": "text/plain"},
		},
		{
			name: "echo without unescaping keeps escapes in the param",
			router: func(*testAPI, io.Writer) http.Handler {
				e := echo.New()
				e.GET("/items/:id", func(c echo.Context) error { // echoRoute without the unescaping
					c.Request().SetPathValue("id", c.Param("id"))
					items.ServeHTTP(c.Response(), c.Request())
					return nil
				})
				return e
			},
			path: "/items/%34%32", status: 400, body: problem(400, `id "%34%32" is not a number`),
		},
		{
			name: "echo without RouteNotFound answers its own JSON 404",
			router: func(*testAPI, io.Writer) http.Handler {
				return echo.New()
			},
			path: "/nope", status: 404, body: `{"message":"Not Found"}` + "\n", header: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "ServeMux without a / pattern answers its own text 404",
			router: func(*testAPI, io.Writer) http.Handler {
				return http.NewServeMux()
			},
			path: "/nope", status: 404, body: "404 page not found\n", header: map[string]string{"Content-Type": "text/plain; charset=utf-8"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startServer(t, c.router)
			got := s.do(t, request{method: "GET", path: c.path})
			if got.Status != c.status {
				t.Errorf("status %d, want %d (body %q)", got.Status, c.status, got.Body)
			}
			if c.body != "" && got.Body != c.body {
				t.Errorf("body\n got %s\nwant %s", got.Body, c.body)
			}
			for k, v := range c.header {
				if g := got.Header.Get(k); g != v {
					t.Errorf("%s %q, want %q", k, g, v)
				}
			}
		})
	}
}
