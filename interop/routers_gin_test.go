package interop_test

import (
	"bufio"
	"io"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/microkit-go/micro/middleware"
)

// ginRoute is the gin adapter: gin.WrapH plus gin's path parameters
// copied into r.PathValue.
//
//	engine.GET("/items/:id", ginRoute(h))
//
// The engine should set UseRawPath (with UnescapePathValues, on by
// default), or an escaped slash (%2F) splits a parameter in two, as
// ServeMux does not.
func ginRoute(h http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		for _, p := range c.Params {
			c.Request.SetPathValue(p.Key, p.Value)
		}
		h.ServeHTTP(c.Writer, c.Request)
	}
}

// ginRecordRoute is the gin route adapter: it records c.FullPath(), gin's
// own template ("/items/:id", not ServeMux's "/items/{id}"), for the log
// line's route. Add it with engine.Use after our chain:
//
//	engine.Use(ginRecordRoute)
//
// gin runs it for NoRoute too, where FullPath is "": it then records
// nothing, so the log line says "unmatched".
func ginRecordRoute(c *gin.Context) {
	middleware.SetRoute(c.Request, c.FullPath())
}

// ginMiddleware puts a func(http.Handler) http.Handler in gin's
// middleware slot (engine.Use). The handlers after it get the request and
// the response writer the middleware passes on; when the middleware
// answers by itself (a preflight, a 413) the rest of gin's chain is
// aborted.
func ginMiddleware(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		orig, called := c.Writer, false
		mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			called = true
			c.Request = r
			c.Writer = &ginWriter{ResponseWriter: orig, w: w}
			c.Next()
		})).ServeHTTP(orig, c.Request)
		c.Writer = orig
		if !called {
			c.Abort()
		}
	}
}

// ginWriter is gin's writer with the writes going to w, the writer a
// middleware passed on; gin's own bookkeeping (Status, Written) stays on
// the writer underneath, which w writes to in the end.
type ginWriter struct {
	gin.ResponseWriter
	w http.ResponseWriter
}

func (g *ginWriter) Header() http.Header               { return g.w.Header() }
func (g *ginWriter) Write(b []byte) (int, error)       { return g.w.Write(b) }
func (g *ginWriter) WriteString(s string) (int, error) { return io.WriteString(g.w, s) }
func (g *ginWriter) WriteHeader(code int)              { g.w.WriteHeader(code) }
func (g *ginWriter) Flush()                            { _ = http.NewResponseController(g.w).Flush() }
func (g *ginWriter) Unwrap() http.ResponseWriter       { return g.w }

func (g *ginWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(g.w).Hijack()
}

// ginRoutes is a gin engine with the API, every path for every method gin
// knows, our 404 route, and the middleware mws in its Use slot (which
// gin also runs for NoRoute), followed there by ginRecordRoute. It sets gin's test mode, so gin prints
// nothing.
func ginRoutes(a *testAPI, mws ...func(http.Handler) http.Handler) http.Handler {
	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.UseRawPath = true             // route on the escaped path, so %2F stays in its param
	e.RedirectTrailingSlash = false // ServeMux answers /things/ with its 404, not a redirect
	for _, mw := range mws {
		e.Use(ginMiddleware(mw))
	}
	e.Use(ginRecordRoute)
	e.NoRoute(ginRoute(notFound))
	for _, rt := range a.routes() {
		e.Any(colonPattern(rt.path), ginRoute(rt.h))
	}
	return e
}

// ginDifferences are where gin cannot answer as ServeMux does.
var ginDifferences = map[string]difference{
	"made-up method is micro's 405 with Allow": {
		why: "gin keeps one tree per method and Any fills only the nine standard ones: " +
			"a made-up method finds no route, so gin runs NoRoute, our 404 " +
			"(engine.Handle(\"BREW\", ...) would route one method known in advance)",
		want: answeredAs(http.StatusNotFound, `No route for "/things"`),
	},
}
