package middleware_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/microkit-go/micro/middleware"
)

// NewJSONHandler writes what slog.NewJSONHandler writes; give it to Logger
// (or Default) through slog.New. Here one record goes through each (with no
// time, so the output is the same on every run).
func ExampleNewJSONHandler() {
	rec := slog.NewRecord(time.Time{}, slog.LevelInfo, "request", 0)
	rec.AddAttrs(slog.String("method", "GET"), slog.Int("status", 200), slog.String("user_agent", "say \"hi\"\n"))

	_ = middleware.NewJSONHandler(os.Stdout, nil).Handle(context.Background(), rec)
	_ = slog.NewJSONHandler(os.Stdout, nil).Handle(context.Background(), rec)

	_ = slog.New(middleware.NewJSONHandler(os.Stderr, nil)) // for middleware.Logger
	// Output:
	// {"level":"INFO","msg":"request","method":"GET","status":200,"user_agent":"say \"hi\"\n"}
	// {"level":"INFO","msg":"request","method":"GET","status":200,"user_agent":"say \"hi\"\n"}
}
