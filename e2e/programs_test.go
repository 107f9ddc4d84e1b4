package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// buildTimeout bounds the go build of the examples: generous, for a cold
// build cache on a loaded machine, and still finite, so a hang is one.
const buildTimeout = 10 * time.Minute

// built builds every example program, once, on first use, and returns the
// directory that holds them. TestMain sets it before any test runs and
// never reassigns it.
var built func() (string, error)

// TestMain runs the tests, then removes the programs they built.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "micro-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	built = sync.OnceValues(func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		// go test puts the go command of its GOROOT first in PATH; -o with
		// a directory and a pattern writes each main package there.
		cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), "../examples/...")
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil {
			return "", fmt.Errorf("go build ../examples/... was slower than %s: a cold build cache on a loaded machine?\n%s", buildTimeout, out)
		}
		if err != nil {
			return "", fmt.Errorf("go build ../examples/...: %w\n%s", err, out)
		}
		return dir, nil
	})
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// program returns the path of the built example name; t fails if the
// examples do not build.
func program(t *testing.T, name string) string {
	t.Helper()
	dir, err := built()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}
