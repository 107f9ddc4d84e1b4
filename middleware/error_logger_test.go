package middleware_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

func TestErrorLoggerNilPanics(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "ErrorLogger") {
			t.Errorf("ErrorLogger(nil) panicked with %v, want a message that names ErrorLogger", p)
		}
	}()
	middleware.ErrorLogger(nil)
}

func ExampleErrorLogger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	}))
	h := middleware.ErrorLogger(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send.Error(w, r, errors.New("database is down"))
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/comments", nil))
	// Output:
	// level=ERROR msg="unhandled error" method=POST path=/api/comments status=500 error="database is down"
}
