package middleware_test

import (
	"net/http"
	"os"

	"github.com/microkit-go/micro/middleware"
)

func ExampleAccessLog() {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.FileServerFS(os.DirFS("public")))

	// Combined Log Format lines on stdout, for log tools that parse them;
	// Recover inside, because like gorilla's handler AccessLog writes no
	// line for a request whose handler panics.
	h := middleware.AccessLog(os.Stdout)(middleware.Recover()(mux))
	_ = http.ListenAndServe("127.0.0.1:8080", h) // not run by go test: no Output comment
}
