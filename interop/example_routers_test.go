package interop_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

// A micro route on gin: ginRoute (in routers_gin_test.go) is gin.WrapH
// plus gin's path parameters copied into r.PathValue, so the route reads
// them as it would under ServeMux. UseRawPath keeps an escaped slash
// inside its parameter, as ServeMux does; NoRoute makes gin's 404 a micro
// problem. ginRecordRoute, one line in engine.Use, gives the log line
// gin's route template; a path no route matched logs "unmatched".
func Example_gin() {
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	engine.UseRawPath = true
	engine.Use(ginRecordRoute)
	engine.NoRoute(ginRoute(micro.Handler(func(r *http.Request) (any, error) {
		return nil, micro.Errorf(http.StatusNotFound, "No route for %q", r.URL.Path)
	})))
	engine.GET("/hello/:name", ginRoute(micro.Handler(func(r *http.Request) (any, error) {
		return map[string]string{"hello": r.PathValue("name")}, nil
	})))
	// A text logger keeping only the path, route and status, so the
	// output is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case "path", "route", "status":
				return a
			}
			return slog.Attr{}
		},
	}))
	h := middleware.Logger(logger)(engine)

	for _, path := range []string{"/hello/world", "/hello/a%2Fb", "/nope"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		body, _ := io.ReadAll(w.Body)
		fmt.Println(w.Code, string(body))
	}
	// Output:
	// path=/hello/world route=/hello/:name status=200
	// 200 {"hello":"world"}
	// path=/hello/a/b route=/hello/:name status=200
	// 200 {"hello":"a/b"}
	// path=/nope route=unmatched status=404
	// 404 {"type":"about:blank","title":"Not Found","status":404,"detail":"No route for \"/nope\""}
}
