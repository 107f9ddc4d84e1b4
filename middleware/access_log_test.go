package middleware_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/microkit-go/micro/middleware"
)

func TestAccessLogPanicsWithoutAWriter(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("AccessLog(nil) did not panic")
		}
	}()
	middleware.AccessLog(nil)
}

// combined matches one Combined Log Format line and captures the status and size.
var combined = regexp.MustCompile(`^192\.0\.2\.1 - - \[[^\]]+\] "GET /f\?x=1 HTTP/1\.1" (\d{3}) (\d+) "https://ref\.example/" "agent/1\.0"\n$`)

func TestAccessLogWritesCombinedLogFormat(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat("y", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		route  http.Handler
		status string
		size   string
	}{
		{"Write", ok, "200", "2"},
		{"status", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(418) }), "418", "0"},
		{"ServeFile counts ReadFrom bytes (gorilla logs 0)", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, file)
		}), "200", "4096"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := middleware.AccessLog(&buf)(tc.route)
			r := httptest.NewRequest("GET", "/f?x=1", nil)
			r.RemoteAddr = "192.0.2.1:1234"
			r.Header.Set("Referer", "https://ref.example/")
			r.Header.Set("User-Agent", "agent/1.0")
			serve(h, r)
			m := combined.FindStringSubmatch(buf.String())
			if m == nil || m[1] != tc.status || m[2] != tc.size {
				t.Errorf("line %q, want status %s size %s", buf.String(), tc.status, tc.size)
			}
		})
	}
}

func TestAccessLogOverARealConnectionCountsSendfileBytes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(file, bytes.Repeat([]byte("z"), 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logSink
	srv := httptest.NewServer(middleware.AccessLog(&logs)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, file)
	})))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/f")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if n != 1<<20 || err != nil {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	srv.Close() // waits for the handler, and so for the log line
	if line := logs.buf.String(); !strings.Contains(line, `" 200 1048576 "`) {
		t.Errorf("line %q, want size 1048576", line)
	}
}
