package testkit

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Log is an io.Writer that keeps what is written to it, safe for
// concurrent use: the output of a server's logger that a test reads while
// the server may still write. The zero value is an empty Log.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// JSONLogger returns a logger writing JSON lines to l, enabled from
// level on.
func (l *Log) JSONLogger(level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: level}))
}

// TextLogger returns a logger writing text lines to l, enabled from level
// on.
func (l *Log) TextLogger(level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: level}))
}

// Write appends p to the log; it never fails.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Lines decodes the JSON lines written so far, each into a map, skipping
// empty lines. It fails the test on a line that is not a JSON object.
func (l *Log) Lines(t testing.TB) []map[string]any {
	t.Helper()
	return JSONLines[map[string]any](t, l.String())
}

// JSONLines decodes each non-empty line of s into a T. It fails the test
// on a line that does not decode.
func JSONLines[T any](t testing.TB, s string) []T {
	t.Helper()
	var out []T
	for line := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}
