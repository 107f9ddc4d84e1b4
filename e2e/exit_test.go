package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// exitStatus runs bin with args, bounded by a minute, and returns its exit
// status and stderr; t fails if it cannot run or does not exit.
func exitStatus(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a guard: it should exit at once
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) || ctx.Err() != nil {
		t.Fatalf("%s %q: %v; stderr:\n%s", bin, args, err, &stderr)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// TestExamplesFlagsExitStatus: every example prints its usage for -h and
// exits 0, as a command asked for help does; a flag it does not define is
// a usage error, status 2.
func TestExamplesFlagsExitStatus(t *testing.T) {
	for _, name := range []string{"comments", "existing-server", "stream"} {
		t.Run(name, func(t *testing.T) {
			bin := program(t, name)
			for _, help := range []string{"-h", "-help", "--help"} {
				if code, stderr := exitStatus(t, bin, help); code != 0 || !strings.Contains(stderr, "-addr") {
					t.Errorf("%s %s: status %d, stderr %q; want 0 and the usage, which lists -addr", name, help, code, stderr)
				}
			}
			if code, stderr := exitStatus(t, bin, "-no-such-flag"); code != 2 || !strings.Contains(stderr, "-no-such-flag") {
				t.Errorf("%s -no-such-flag: status %d, stderr %q; want 2 and a message naming the flag", name, code, stderr)
			}
		})
	}
}

// TestBadCORSOriginsExit1: a -cors-origins the middleware refuses is
// reported by the comments program, before anything listens or any file
// is opened, as the middleware's message on stderr, and the program exits
// 1.
func TestBadCORSOriginsExit1(t *testing.T) {
	for _, tc := range []struct{ origins, want string }{
		{"https://ok.example,not an origin", `comments: middleware: CORS: AllowedOrigins entry "not an origin" is not "scheme://host"`},
		{"https://*.github.io", `comments: middleware: CORS: AllowedOrigins entry "https://*.github.io" is a pattern over the public suffix "github.io"`},
		{"null", `comments: middleware: CORS: AllowedOrigins "null" is unsafe`},
	} {
		t.Run(tc.origins, func(t *testing.T) {
			data := t.TempDir() + "/comments.json"
			code, stderr := exitStatus(t, program(t, "comments"), "-addr", "127.0.0.1:0", "-data", data, "-cors-origins", tc.origins)
			if code != 1 {
				t.Fatalf("exit status %d, want 1; stderr:\n%s", code, stderr)
			}
			if !strings.HasPrefix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want one line starting %q", stderr, tc.want)
			}
			if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the data file was opened before the configuration was checked: %v", err)
			}
		})
	}
}
