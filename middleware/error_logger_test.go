package middleware_test

import (
	"testing"

	"github.com/microkit-go/micro/middleware"
)

func TestErrorLoggerNilPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("ErrorLogger(nil) did not panic")
		}
	}()
	middleware.ErrorLogger(nil)
}
