package interop_test

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

// echoRoute is the echo adapter: echo.WrapHandler plus echo's path
// parameters copied into r.PathValue.
//
//	e.GET("/items/:id", echoRoute(h))
//
// echo matches the escaped path (URL.RawPath) when the request has escapes
// that are not the default encoding (%34%32, %2F, lower-case hex), and
// then gives the values still escaped: they are unescaped here, as
// ServeMux does.
func echoRoute(h http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		values := c.ParamValues()
		for i, name := range c.ParamNames() {
			if r.URL.RawPath != "" {
				setEscapedPathValue(r, name, values[i])
			} else {
				r.SetPathValue(name, values[i])
			}
		}
		h.ServeHTTP(c.Response(), r)
		return nil
	}
}

// echoRecordRoute is the echo route adapter: it records c.Path(), echo's
// own template ("/items/:id", not ServeMux's "/items/{id}"), for the log
// line's route. Mount it on each route (the middleware arguments after
// the handler), not with e.Use: to echo the RouteNotFound route is a route
// too, and it would log its "/*" instead of "unmatched".
//
//	e.GET("/items/:id", echoRoute(h), echoRecordRoute)
func echoRecordRoute(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		middleware.SetRoute(c.Request(), c.Path())
		return next(c)
	}
}

// echoErrors is echo's HTTPErrorHandler for the errors echo's router
// makes by itself (a 405 for a method echo does not route): a problem,
// as send.Error writes it, instead of echo's {"message": ...}. Our routes
// never return errors to echo: they write their own.
func echoErrors(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if he, ok := err.(*echo.HTTPError); ok {
		err = statusError{he.Code}
	}
	send.Error(c.Response(), c.Request(), err)
}

// statusError is an error with a status and its standard text.
type statusError struct{ code int }

func (e statusError) Error() string   { return http.StatusText(e.code) }
func (e statusError) StatusCode() int { return e.code }

// echoRoutes is an echo server with the API, every path for every method
// echo knows and each with echoRecordRoute, our 404 route, and the middleware mws in its Use slot (which
// echo runs after routing, for RouteNotFound routes too).
func echoRoutes(a *testAPI, mws ...func(http.Handler) http.Handler) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = echoErrors
	for _, mw := range mws {
		e.Use(echo.WrapMiddleware(mw))
	}
	e.RouteNotFound("/*", echoRoute(notFound))
	for _, rt := range a.routes() {
		e.Any(colonPattern(rt.path), echoRoute(rt.h), echoRecordRoute)
	}
	return e
}

// echoDifferences are where echo cannot answer as ServeMux does.
var echoDifferences = map[string]difference{
	"made-up method is micro's 405 with Allow": {
		why: "echo's Any registers only the methods echo knows: a made-up method finds no route " +
			"and echo runs the RouteNotFound route, our 404 (e.Add(\"BREW\", ...) would route one " +
			"method known in advance)",
		want: answeredAs(http.StatusNotFound, `No route for "/things"`),
	},
}
