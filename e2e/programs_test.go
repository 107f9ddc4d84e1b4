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

// programs builds the example programs, each once, on first use: example
// name to its binary's path. TestMain sets it before any test runs and
// never reassigns it.
var programs map[string]func() (string, error)

// TestMain runs the tests, then removes the programs they built.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "micro-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	programs = map[string]func() (string, error){}
	for _, name := range []string{"comments", "existing-server", "stream"} {
		programs[name] = sync.OnceValues(func() (string, error) { return build(dir, name) })
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build builds examples/name into dir with the go command that runs the
// tests, within a minute.
func build(dir, name string) (string, error) {
	goCmd, err := exec.LookPath("go") // go test puts its GOROOT/bin first in PATH
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bin := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", bin, "../examples/"+name)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build examples/%s: %w\n%s", name, err, out)
	}
	return bin, nil
}

// program returns the path of the built example name; t fails if it does
// not build.
func program(t *testing.T, name string) string {
	t.Helper()
	bin, err := programs[name]()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
