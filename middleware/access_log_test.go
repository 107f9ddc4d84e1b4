package middleware_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestAccessLogPanicsWithoutAWriter(t *testing.T) {
	defer func() {
		if p := recover(); p != "middleware: AccessLog needs a non-nil io.Writer" {
			t.Errorf("AccessLog(nil) panicked with %v", p)
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
	var logs testkit.Log
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
	if line := logs.String(); !strings.Contains(line, `" 200 1048576 "`) {
		t.Errorf("line %q, want size 1048576", line)
	}
}

// logTime matches the time field of a line.
var logTime = regexp.MustCompile(`\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]`)

func TestAccessLogEscapesWhatTheClientWrote(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *http.Request)
		want string
	}{
		{"a user in the URL is logged, spaces and quotes escaped", func(r *http.Request) {
			r.URL.User = url.User("x\n198.51.100.66 - - [07/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 0 \"-\" \"-\"")
		}, `192.0.2.1 - x\x0a198.51.100.66\x20-\x20-\x20[07/Dec/2026:10:00:00\x20+0000]\x20\"GET\x20/\x20HTTP/1.1\"\x20200\x200\x20\"-\"\x20\"-\" [time] "GET /f HTTP/1.1" 200 2 "-" "-"`},
		{"a backslash in the user is doubled", func(r *http.Request) {
			r.URL.User = url.UserPassword(`DOMAIN\alice`, "secret")
		}, `192.0.2.1 - DOMAIN\\alice [time] "GET /f HTTP/1.1" 200 2 "-" "-"`},
		{"quotes and line breaks in Referer and User-Agent", func(r *http.Request) {
			r.Header.Set("Referer", "https://a.example/\" 200 0\r\n")
			r.Header["User-Agent"] = []string{"agent\"\n203.0.113.1 - - [x] \"GET / HTTP/1.1\" 200 0 \"-\" \"-"}
		}, `192.0.2.1 - - [time] "GET /f HTTP/1.1" 200 2 "https://a.example/\" 200 0\x0d\x0a" "agent\"\x0a203.0.113.1 - - [x] \"GET / HTTP/1.1\" 200 0 \"-\" \"-"`},
		{"non-ASCII, control bytes and DEL as \\xhh", func(r *http.Request) {
			r.Header.Set("User-Agent", "é\x00\x1b[31m\x7f\xff\t")
		}, `192.0.2.1 - - [time] "GET /f HTTP/1.1" 200 2 "-" "\xc3\xa9\x00\x1b[31m\x7f\xff\x09"`},
		{"a quote or a space in the request line", func(r *http.Request) {
			r.Method = "GET /x"
			r.RequestURI = `/a"b\c`
			r.Proto = "HTTP/1.1\" 200"
		}, `192.0.2.1 - - [time] "GET\x20/x /a\"b\\c HTTP/1.1\"\x20200" 200 2 "-" "-"`},
		{"the request URI as the client sent it", func(r *http.Request) {
			r.RequestURI = "http://x%0A198.51.100.66%20-%20-@host/%22?q=%0d%0a"
		}, `192.0.2.1 - - [time] "GET http://x%0A198.51.100.66%20-%20-@host/%22?q=%0d%0a HTTP/1.1" 200 2 "-" "-"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := httptest.NewRequest("GET", "/f", nil)
			r.RemoteAddr = "192.0.2.1:1234"
			tc.edit(r)
			serve(middleware.AccessLog(&buf)(ok), r)
			got := logTime.ReplaceAllString(buf.String(), "[time]")
			if got != tc.want+"\n" {
				t.Errorf("line\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestAccessLogUserSetBeforeIt(t *testing.T) {
	var buf bytes.Buffer
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.URL.User = url.User("alice smith") // as an authentication middleware would
			next.ServeHTTP(w, r)
		})
	}
	r := httptest.NewRequest("GET", "/f", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	serve(auth(middleware.AccessLog(&buf)(ok)), r)
	if want := `192.0.2.1 - alice\x20smith [`; !strings.HasPrefix(buf.String(), want) {
		t.Errorf("line %q, want it to start with %q", buf.String(), want)
	}
}

func TestAccessLogHostIsTheClientAddress(t *testing.T) {
	proxy := middleware.ClientIP(netip.MustParsePrefix("10.0.0.0/8"))
	for _, tc := range []struct {
		name       string
		chain      func(io.Writer) func(http.Handler) http.Handler
		remoteAddr string
		xff        string
		want       string
	}{
		{"the peer", middleware.AccessLog, "192.0.2.1:1234", "", "192.0.2.1"},
		{"the peer, IPv6", middleware.AccessLog, "[2001:db8::1]:443", "", "2001:db8::1"},
		{"the peer, IPv4-mapped and zoned", middleware.AccessLog, "[::ffff:192.0.2.1%eth0]:443", "", "192.0.2.1"},
		{"no peer address is -", middleware.AccessLog, "", "", "-"},
		{"a Unix socket is -", middleware.AccessLog, "@", "", "-"},
		{"a RemoteAddr that is not an address is -", middleware.AccessLog, "203.0.113.7 - - [x] \"GET", "", "-"},
		{"X-Forwarded-For unread without ClientIP", middleware.AccessLog, "10.0.0.1:1234", "203.0.113.9", "10.0.0.1"},
		{"ClientIP before AccessLog: the client behind the proxy", func(out io.Writer) func(http.Handler) http.Handler {
			return func(next http.Handler) http.Handler { return proxy(middleware.AccessLog(out)(next)) }
		}, "10.0.0.1:1234", "198.51.100.4, 203.0.113.9", "203.0.113.9"},
		{"ClientIP after AccessLog: the same", func(out io.Writer) func(http.Handler) http.Handler {
			return func(next http.Handler) http.Handler { return middleware.AccessLog(out)(proxy(next)) }
		}, "10.0.0.1:1234", "198.51.100.4, 203.0.113.9", "203.0.113.9"},
		{"ClientIP ignores X-Forwarded-For from an untrusted peer", func(out io.Writer) func(http.Handler) http.Handler {
			return func(next http.Handler) http.Handler { return proxy(middleware.AccessLog(out)(next)) }
		}, "192.0.2.1:1234", "203.0.113.9", "192.0.2.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := httptest.NewRequest("GET", "/f", nil)
			r.RemoteAddr = tc.remoteAddr
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			serve(tc.chain(&buf)(ok), r)
			if !strings.HasPrefix(buf.String(), tc.want+" - - [") {
				t.Errorf("line %q, want host %s", buf.String(), tc.want)
			}
		})
	}
}

func TestAccessLogHEADSendsNoBytes(t *testing.T) {
	var buf bytes.Buffer
	r := httptest.NewRequest("HEAD", "/f", nil)
	serve(middleware.AccessLog(&buf)(ok), r)
	if !strings.Contains(buf.String(), `"HEAD /f HTTP/1.1" 200 0 `) {
		t.Errorf("line %q, want status 200 and 0 bytes", buf.String())
	}
}

// TestAccessLogForgedLineOverTCP sends, over a real connection, a request
// whose absolute-form target carries a user part that decodes to a line
// break and a whole log line naming another address.
func TestAccessLogForgedLineOverTCP(t *testing.T) {
	var logs testkit.Log
	srv := httptest.NewServer(middleware.AccessLog(&logs)(ok))
	defer srv.Close()
	forged := "x\n198.51.100.66 - - [07/Dec/2026:10:00:00 +0000] \"POST /wp-login.php HTTP/1.1\" 401 0 \"-\" \"-\"\n"
	var user strings.Builder
	for _, c := range []byte(forged) {
		if '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' {
			user.WriteByte(c)
		} else {
			fmt.Fprintf(&user, "%%%02X", c)
		}
	}
	target := "http://" + user.String() + "@127.0.0.1/f"
	res := testkit.ReadResponse(t, testkit.Send(t, srv, "GET "+target+" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: the server did not take the target", res.StatusCode)
	}
	srv.Close() // waits for the handler, and so for the log line

	got := logs.String()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	want := `127.0.0.1 - x\x0a198.51.100.66\x20-\x20-\x20[07/Dec/2026:10:00:00\x20+0000]\x20\"POST\x20/wp-login.php\x20HTTP/1.1\"\x20401\x200\x20\"-\"\x20\"-\"\x0a [time] "GET ` +
		target + ` HTTP/1.1" 200 2 "-" "-"`
	switch {
	case len(lines) != 1 || !strings.HasSuffix(got, "\n"):
		t.Errorf("%d lines, want 1:\n%s", len(lines), got)
	case strings.Contains(got, "\n198.51.100.66"):
		t.Errorf("the forged line is in the log:\n%s", got)
	}
	if line := logTime.ReplaceAllString(lines[0], "[time]"); line != want {
		t.Errorf("line\n%s\nwant\n%s", line, want)
	}
}

// TestAccessLogHostOfARouteCutOffByTimeout checks the order AccessLog's doc
// asks for: with ClientIP before Timeout, the line of a route cut off at
// its deadline names the client behind the proxy, not the proxy.
func TestAccessLogHostOfARouteCutOffByTimeout(t *testing.T) {
	var buf bytes.Buffer
	release := make(chan struct{})
	defer close(release)
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release })
	proxy := middleware.ClientIP(netip.MustParsePrefix("10.0.0.0/8"))
	quiet := middleware.Logger(slog.New(slog.DiscardHandler))
	h := middleware.AccessLog(&buf)(proxy(quiet(middleware.Timeout(time.Millisecond)(route))))
	r := httptest.NewRequest("GET", "/f", nil)
	r.RemoteAddr = "10.0.0.1:1234"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	w := serve(h, r)
	if w.Code != http.StatusServiceUnavailable || !strings.HasPrefix(buf.String(), "203.0.113.9 - - [") {
		t.Errorf("status %d, line %q; want 503 logged for 203.0.113.9", w.Code, buf.String())
	}
}

// BenchmarkAccessLogLine measures the line of a browser's request, whose
// fields need no escaping, and of a hostile one, whose user, Referer and
// User-Agent are full of quotes, line breaks and non-ASCII bytes; against
// the handler alone and gorilla's CombinedLoggingHandler (which leaves the
// user unescaped).
func BenchmarkAccessLogLine(b *testing.B) {
	browser := httptest.NewRequest("GET", "/api/comments?page=2", nil)
	browser.RemoteAddr = "192.0.2.1:51234"
	browser.Header.Set("Referer", "https://app.example.com/comments")
	browser.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")

	hostile := httptest.NewRequest("GET", "/api/comments?page=2", nil)
	hostile.RemoteAddr = "192.0.2.1:51234"
	hostile.URL.User = url.User("x\n198.51.100.66 - - [07/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 0 \"-\" \"-\"")
	hostile.Header.Set("Referer", "https://a.example/\"\r\n\"é\\")
	hostile.Header.Set("User-Agent", "\"\n\x1b[31mÜnïcödé\x7f\xff\"\n\"\\ ")

	for _, req := range []struct {
		name string
		r    *http.Request
	}{{"browser", browser}, {"hostile", hostile}} {
		b.Run("req="+req.name+"/impl=bare", func(b *testing.B) { testkit.Bench(b, ok, req.r) })
		b.Run("req="+req.name+"/impl=micro", func(b *testing.B) { testkit.Bench(b, middleware.AccessLog(io.Discard)(ok), req.r) })
		b.Run("req="+req.name+"/impl=gorilla", func(b *testing.B) { testkit.Bench(b, handlers.CombinedLoggingHandler(io.Discard, ok), req.r) })
	}
}

// BenchmarkAccessLogInAChain measures AccessLog behind ClientIP, which has
// already cloned the request for the chain's state: AccessLog adds no
// allocation of its own.
func BenchmarkAccessLogInAChain(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "bench")
	clientIP := middleware.ClientIP()
	b.Run("impl=ClientIP", func(b *testing.B) { testkit.Bench(b, clientIP(ok), r) })
	b.Run("impl=ClientIP+AccessLog", func(b *testing.B) {
		testkit.Bench(b, clientIP(middleware.AccessLog(io.Discard)(ok)), r)
	})
}

// BenchmarkAccessLog measures a plain request's line, against the
// handler alone and gorilla's CombinedLoggingHandler.
func BenchmarkAccessLog(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "bench")
	benchAgainst(b, r, middleware.AccessLog(io.Discard)(ok), "gorilla", handlers.CombinedLoggingHandler(io.Discard, ok))
}
