package interop_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"
	"github.com/microkit-go/micro"
)

// A micro route on gin: ginRoute (in routers_gin_test.go) is gin.WrapH
// plus gin's path parameters copied into r.PathValue, so the route reads
// them as it would under ServeMux. UseRawPath keeps an escaped slash
// inside its parameter, as ServeMux does; NoRoute makes gin's 404 a micro
// problem.
func Example_gin() {
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	engine.UseRawPath = true
	engine.NoRoute(ginRoute(micro.Handler(func(r *http.Request) (any, error) {
		return nil, micro.Errorf(http.StatusNotFound, "No route for %q", r.URL.Path)
	})))
	engine.GET("/hello/:name", ginRoute(micro.Handler(func(r *http.Request) (any, error) {
		return map[string]string{"hello": r.PathValue("name")}, nil
	})))

	for _, path := range []string{"/hello/world", "/hello/a%2Fb", "/nope"} {
		w := httptest.NewRecorder()
		engine.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		body, _ := io.ReadAll(w.Body)
		fmt.Println(w.Code, string(body))
	}
	// Output:
	// 200 {"hello":"world"}
	// 200 {"hello":"a/b"}
	// 404 {"type":"about:blank","title":"Not Found","status":404,"detail":"No route for \"/nope\""}
}
