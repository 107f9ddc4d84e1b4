package middleware

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzLogLine is the Combined Log Format line of AccessLog's doc comment:
// host, ident, user, time, the quoted request line, status, bytes and the
// quoted Referer and User-Agent. A quoted field holds no bare `"` and no
// backslash but as the start of an escape.
var fuzzLogLine = regexp.MustCompile(`^(\S+) - (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"\n$`)

// fuzzLogUnescape is the reference reader of a logged field: `\"`, `\\`
// and `\xhh` are the only escapes, and every other byte is printable ASCII
// standing for itself.
func fuzzLogUnescape(t *testing.T, field string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(field); i++ {
		c := field[i]
		switch {
		case c < ' ' || c > '~':
			t.Fatalf("field %q holds the byte %#x", field, c)
		case c != '\\':
			b.WriteByte(c)
		case i+1 < len(field) && (field[i+1] == '"' || field[i+1] == '\\'):
			b.WriteByte(field[i+1])
			i++
		case i+3 < len(field) && field[i+1] == 'x':
			n, err := strconv.ParseUint(field[i+2:i+4], 16, 8)
			if err != nil {
				t.Fatalf("field %q: bad escape %q", field, field[i:i+4])
			}
			b.WriteByte(byte(n))
			i += 3
		default:
			t.Fatalf("field %q: bad escape at %d", field, i)
		}
	}
	return b.String()
}

// fuzzLogOrDash is what a field that is "-" when empty should read back as.
func fuzzLogOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// FuzzAccessLogLine checks AccessLog against the line format of its doc
// comment: for any method, request target, protocol, URL user, peer
// address, Referer, User-Agent, status and body size, it writes exactly
// one line, of printable ASCII, whose fields read back (with the
// reference unescaper) to the request's: the host is the peer as the
// ClientIP reference reads it or "-", the request line splits on spaces
// into exactly the method, target and protocol, and an empty user,
// Referer or User-Agent is "-".
func FuzzAccessLogLine(f *testing.F) {
	forged := "x\n198.51.100.66 - - [07/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 0 \"-\" \"-\"\n"
	for _, s := range []struct {
		method, target, proto, user, peer, referer, agent string
		status, size                                      uint16
	}{
		{"GET", "/f?x=1", "HTTP/1.1", "", "192.0.2.1:1234", "https://ref.example/", "agent/1.0", 0, 2},
		{"GET", "http://x%0A198.51.100.66%20-%20-@host/", "HTTP/1.1", forged, "127.0.0.1:1", "", "", 0, 0},
		{"POST", `/a"b\c`, "HTTP/2.0", `DOMAIN\alice bob`, "[2001:db8::1%eth0]:443", "\r\n", "é\x00\x7f\xff", 204, 0},
		{"HEAD", "", "HTTP/1.0", "-", "[::ffff:10.0.0.1]:80", "-", "\"", 404, 9},
		{"GE T", "/ x", "HTTP/1.1\" 200", "\\", "@", `\"`, `x\`, 799, 100},
		{"", "*", "", "", "", " ", "  ", 100, 1},
		{"OPTIONS", "/", "HTTP/1.1", "u", "not an address", "a\tb", "\\x41", 1, 0},
	} {
		f.Add(s.method, s.target, s.proto, s.user, s.peer, s.referer, s.agent, s.status, s.size)
	}
	var out bytes.Buffer
	var body [4096]byte
	h := AccessLog(&out)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.Header.Get("X-Status"))
		size, _ := strconv.Atoi(r.Header.Get("X-Size"))
		w.WriteHeader(code)
		_, _ = w.Write(body[:size])
	}))
	f.Fuzz(func(t *testing.T, method, target, proto, user, peer, referer, agent string, status, size uint16) {
		code := 200 + int(status)%800 // WriteHeader panics outside 100-999; 1xx are not final
		n := int(size) % len(body)
		r := &http.Request{
			Method: method, RequestURI: target, Proto: proto, ProtoMajor: 1,
			URL: &url.URL{Path: "/"}, RemoteAddr: peer,
			Header: http.Header{"X-Status": {strconv.Itoa(code)}, "X-Size": {strconv.Itoa(n)}},
		}
		if user != "" {
			r.URL.User = url.User(user)
		}
		if referer != "" {
			r.Header["Referer"] = []string{referer}
		}
		if agent != "" {
			r.Header["User-Agent"] = []string{agent}
		}
		out.Reset()
		h.ServeHTTP(httptest.NewRecorder(), r)

		line := out.String()
		m := fuzzLogLine.FindStringSubmatch(line)
		if m == nil || strings.Count(line, "\n") != 1 {
			t.Fatalf("not one Combined Log Format line: %q", line)
		}
		wantHost := "-"
		if a, ok := fuzzIPParseHost(peer, false); ok {
			wantHost = a.String()
		}
		if target == "" {
			target = "/" // r.URL's request URI
		}
		if method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified {
			n = 0 // no body sent: net/http discards it, or refuses the Write
		}
		reqLine := strings.Split(m[4], " ")
		if len(reqLine) != 3 {
			t.Fatalf("request line %q is not three fields", m[4])
		}
		if _, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[3]); err != nil {
			t.Errorf("time %q: %v", m[3], err)
		}
		for _, c := range []struct{ name, got, want string }{
			{"host", m[1], wantHost},
			{"user", fuzzLogUnescape(t, m[2]), fuzzLogOrDash(user)},
			{"method", fuzzLogUnescape(t, reqLine[0]), method},
			{"target", fuzzLogUnescape(t, reqLine[1]), target},
			{"proto", fuzzLogUnescape(t, reqLine[2]), proto},
			{"status", m[5], strconv.Itoa(code)},
			{"bytes", m[6], strconv.Itoa(n)},
			{"referer", fuzzLogUnescape(t, m[7]), fuzzLogOrDash(referer)},
			{"user-agent", fuzzLogUnescape(t, m[8]), fuzzLogOrDash(agent)},
		} {
			if c.got != c.want {
				t.Errorf("%s reads back as %q, want %q, in %q", c.name, c.got, c.want, line)
			}
		}
	})
}
