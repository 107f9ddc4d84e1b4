package main

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBadCORSOriginsExit1: a -cors-origins the middleware refuses is
// reported, before anything listens or any file is opened, as the
// middleware's message on stderr, and the program exits 1.
func TestBadCORSOriginsExit1(t *testing.T) {
	for _, tc := range []struct{ origins, want string }{
		{"https://ok.example,not an origin", `comments: middleware: CORS: AllowedOrigins entry "not an origin" is not "scheme://host"`},
		{"https://*.github.io", `comments: middleware: CORS: AllowedOrigins entry "https://*.github.io" is a pattern over the public suffix "github.io"`},
		{"null", `comments: middleware: CORS: AllowedOrigins "null" is unsafe`},
	} {
		t.Run(tc.origins, func(t *testing.T) {
			data := t.TempDir() + "/comments.json"
			// The test binary is the program with COMMENTS_LOAD_CHILD=1 (see
			// TestMain); its stdin stays open, so it is not stopped early.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a guard: it should exit at once
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-addr", "127.0.0.1:0", "-data", data, "-cors-origins", tc.origins)
			cmd.Env = append(os.Environ(), loadChildEnv+"=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			err = cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, &stderr)
			}
			if !strings.HasPrefix(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr = %q, want one line starting %q", &stderr, tc.want)
			}
			if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the data file was opened before the configuration was checked: %v", err)
			}
		})
	}
}

// TestChainTrustsCORSPatterns: a -cors-origins pattern is trusted by the
// CSRF protection as CORS allows it, so a page on a subdomain can post;
// a cross-site page, with or without a Content-Type, cannot.
func TestChainTrustsCORSPatterns(t *testing.T) {
	cfg := testConfig(t)
	cfg.corsOrigins = []string{"https://*.example.com"}
	srv := httptest.NewServer(newHandler(newMemoryStore(nil), cfg))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"same-site page of the pattern", map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}, 201},
		{"cross-site beacon, no Content-Type", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Cookie": "visitor=x"}, 403},
		{"curl", nil, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := doReq(t, srv, "POST", "/api/comments", `{"comment":"hi"}`, tc.header)
			if res.StatusCode != tc.want {
				t.Errorf("status %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
}
