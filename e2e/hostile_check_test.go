package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/examples/comments/api"
)

// hostileCase is one hostile request (or a few, on one connection or in a
// row) and what the server must answer. Exactly one of reqs, raw and
// exchange is set.
type hostileCase struct {
	name string

	reqs      []*hostileReq // sent in a row with the test's client
	raw       string        // written as is on a new TCP connection
	rawMethod string        // the method raw's responses answer; "" is GET
	exchange  func(t *testing.T, h *hostileServer) hostileExchange

	want   []hostileWant // the responses, in order
	closed bool          // then the server closes the connection (raw, exchange)
	stores []api.Comment // the comments the case adds
}

// hostileReq is a request the test's client sends: it can only send what
// net/http considers well formed.
type hostileReq struct {
	method, path string
	header       []string // name, value, name, value…, added in order
	body         string
}

// hostileWant is one expected response.
type hostileWant struct {
	status int

	// plain is net/http's own answer to a request it refused before any
	// handler ran: exactly this text/plain body, Connection: close and none
	// of the chain's headers. When it is "", the answer is the chain's: an
	// X-Request-Id, Vary: Origin, one log line, and an RFC 9457 problem for
	// a 4xx or 5xx.
	plain string

	detail    string // the problem's detail, exactly; "" when it has none
	pointer   string // the pointer of the problem's one field error, whose detail is detail; "" for no errors member
	json      string // the body of a 2xx, compared as JSON; %LIST% is the current comments
	gzip      bool   // the body came gzipped
	acao      string // Access-Control-Allow-Origin; "" means no Access-Control-* header at all
	requestID string // the X-Request-Id the client's is kept as; "" means a generated one

	// check, when not nil, checks what the fields above cannot; a 2xx
	// without json and check must have an empty body.
	check func(t *testing.T, h *hostileServer, r hostileReply)
}

// run sends c and checks every response.
func (h *hostileServer) run(t *testing.T, c hostileCase) {
	t.Helper()
	var ex hostileExchange
	switch {
	case c.reqs != nil:
		for _, r := range c.reqs {
			ex.replies = append(ex.replies, h.do(t, r).replies...)
		}
	case c.raw != "":
		method := c.rawMethod
		if method == "" {
			method = http.MethodGet
		}
		wait := time.Duration(0)
		if c.closed {
			wait = hostileWait
		}
		ex = h.raw(t, method, c.raw, len(c.want), wait)
	default:
		ex = c.exchange(t, h)
	}
	if len(ex.replies) != len(c.want) {
		t.Fatalf("%d responses, want %d", len(ex.replies), len(c.want))
	}
	for i, w := range c.want {
		h.checkReply(t, w, ex.replies[i])
	}
	if c.closed && !ex.closed {
		t.Errorf("the server did not close the connection within %v", hostileWait)
	}
	h.want = append(h.want, c.stores...)
}

// checkReply checks one response against w.
func (h *hostileServer) checkReply(t *testing.T, w hostileWant, r hostileReply) {
	t.Helper()
	if r.status != w.status {
		t.Errorf("status %d, want %d; body:\n%.500s", r.status, w.status, r.body)
	}
	if w.plain != "" { // net/http's own answer: the chain never saw the request
		if got := r.header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
			t.Errorf("net/http's answer has Content-Type %q", got)
		}
		if !r.close {
			t.Error("net/http's answer has no Connection: close")
		}
		if string(r.body) != w.plain {
			t.Errorf("net/http's answer %q, want %q", r.body, w.plain)
		}
		if id := r.header.Get("X-Request-Id"); id != "" {
			t.Errorf("net/http's answer has X-Request-Id %q: the chain ran", id)
		}
		return
	}

	id := r.header.Get("X-Request-Id")
	switch {
	case w.requestID != "":
		if id != w.requestID {
			t.Errorf("X-Request-Id %q, want the client's %q", id, w.requestID)
		}
	case !hostileGeneratedID.MatchString(id):
		t.Errorf("X-Request-Id %q, want a generated one (32 hex digits)", id)
	}
	if got := r.header.Get("Access-Control-Allow-Origin"); got != w.acao {
		t.Errorf("Access-Control-Allow-Origin %q, want %q", got, w.acao)
	}
	if w.acao == "" {
		for k := range r.header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("CORS header for a request it must not grant: %s: %q", k, r.header[k])
			}
		}
	}
	if vary := strings.Join(r.header.Values("Vary"), ","); !strings.Contains(vary, "Origin") {
		t.Errorf("Vary %q does not name Origin", vary)
	}
	if r.gzip != w.gzip {
		t.Errorf("gzipped %v, want %v (Content-Encoding %q)", r.gzip, w.gzip, r.header.Get("Content-Encoding"))
	}

	line := h.lineFor(t, id)
	if got := line["status"]; got != float64(r.status) {
		t.Errorf("log line status %v, response %d", got, r.status)
	}
	if got := line["client_ip"]; got != "127.0.0.1" {
		t.Errorf("log line client_ip %v, want the peer, 127.0.0.1", got)
	}

	switch {
	case r.status >= 400:
		hostileCheckProblem(t, r, w.detail, w.pointer)
	case w.json != "":
		if got := r.header.Get("Content-Type"); got != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", got)
		}
		list, _ := json.Marshal(h.want)
		hostileJSONEqual(t, strings.ReplaceAll(w.json, "%LIST%", string(list)), r.body)
	case w.check == nil && len(r.body) > 0:
		t.Errorf("body %.300q, want none", r.body)
	}
	if w.check != nil {
		w.check(t, h, r)
	}
}

// hostileCheckProblem checks that r is an RFC 9457 problem for its status
// with exactly detail (none when "") and, when pointer is not "", an errors
// member of one field error: detail at pointer.
func hostileCheckProblem(t *testing.T, r hostileReply, detail, pointer string) {
	t.Helper()
	if got := r.header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", got)
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Errorf("the body is not JSON: %v\n%.300s", err, r.body)
		return
	}
	want := map[string]any{"type": "about:blank", "title": http.StatusText(r.status), "status": float64(r.status)}
	if detail != "" {
		want["detail"] = detail
	}
	if pointer != "" {
		want["errors"] = []any{map[string]any{"detail": detail, "pointer": pointer}}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem (-want +got):\n%s", diff)
	}
}

// hostileJSONEqual checks that got is the JSON value want.
func hostileJSONEqual(t *testing.T, want string, got []byte) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("the case's JSON: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("the body is not JSON: %v\n%.300s", err, got)
		return
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("body (-want +got):\n%.2000s", diff)
	}
}

// hostileSign returns value signed for the cookie name with key, in the
// format SetSignedCookie documents, for forging cookies.
func hostileSign(key, name, value string) string {
	enc := base64.RawURLEncoding.EncodeToString([]byte(value))
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(name + "=" + enc))
	return enc + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// hostileNewVisitor checks an answer of GET /api/visitor that refused the
// request's cookie: a new visitor, never forged, in a new cookie signed
// with the server's key.
func hostileNewVisitor(forged string) func(*testing.T, *hostileServer, hostileReply) {
	return func(t *testing.T, _ *hostileServer, r hostileReply) {
		t.Helper()
		var a struct {
			Visitor string `json:"visitor"`
			New     bool   `json:"new"`
		}
		if err := json.Unmarshal(r.body, &a); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		if !a.New || a.Visitor == "" || a.Visitor == forged {
			t.Errorf("answer %+v, want a new visitor, not %q", a, forged)
		}
		res := http.Response{Header: r.header}
		cookies := res.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("Set-Cookie %q, want one cookie", r.header.Values("Set-Cookie"))
		}
		c := cookies[0]
		if c.Name != api.VisitorCookie || c.Value != hostileSign(hostileCookieKey, api.VisitorCookie, a.Visitor) ||
			!c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteNoneMode || c.Path != "/" {
			t.Errorf("new cookie %+v, want %s signed for %q, HttpOnly, Secure, SameSite=None, Path=/", c, api.VisitorCookie, a.Visitor)
		}
	}
}

// hostileLogged returns a check that the request's log line has attribute
// key equal to want.
func hostileLogged(key string, want any) func(*testing.T, *hostileServer, hostileReply) {
	return func(t *testing.T, h *hostileServer, r hostileReply) {
		t.Helper()
		if got := h.lineFor(t, r.header.Get("X-Request-Id"))[key]; got != want {
			t.Errorf("log line %s = %v, want %v", key, got, want)
		}
	}
}

// hostileNoHeader returns a check that the response has no header name.
func hostileNoHeader(name string) func(*testing.T, *hostileServer, hostileReply) {
	return func(t *testing.T, _ *hostileServer, r hostileReply) {
		t.Helper()
		if v, ok := r.header[http.CanonicalHeaderKey(name)]; ok {
			t.Errorf("response header %s: %q", name, v)
		}
	}
}

// hostileHeader returns a check that the response's header name is want.
func hostileHeader(name, want string) func(*testing.T, *hostileServer, hostileReply) {
	return func(t *testing.T, _ *hostileServer, r hostileReply) {
		t.Helper()
		if got := strings.Join(r.header.Values(name), ", "); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// hostileRedirect returns a check of ServeMux's redirect to a clean path:
// Location is exactly to, on the same host.
func hostileRedirect(to string) func(*testing.T, *hostileServer, hostileReply) {
	return func(t *testing.T, _ *hostileServer, r hostileReply) {
		t.Helper()
		if got := r.header.Get("Location"); got != to {
			t.Errorf("Location %q, want %q", got, to)
		}
	}
}

// hostilePanicked checks the answer to hostilePanicPath: no trace of the
// panic in the response, and the one log line with the error and a stack
// that shows where it happened.
func hostilePanicked(t *testing.T, h *hostileServer, r hostileReply) {
	t.Helper()
	if bytes.Contains(r.body, []byte("secret")) || bytes.Contains(r.body, []byte("goroutine")) {
		t.Errorf("the response shows the panic: %s", r.body)
	}
	line := h.lineFor(t, r.header.Get("X-Request-Id"))
	if line["level"] != "ERROR" {
		t.Errorf("log level %v, want ERROR", line["level"])
	}
	if e, _ := line["error"].(string); !strings.Contains(e, hostilePanicText) {
		t.Errorf("log error %q, want the panic value", e)
	}
	if st, _ := line["stack"].(string); !strings.Contains(st, "hostilePanic") {
		t.Errorf("log stack does not show hostilePanic:\n%.2000s", st)
	}
	n := 0
	for _, rec := range h.log.Lines(t) {
		b, _ := json.Marshal(rec)
		if bytes.Contains(b, []byte(hostilePanicText)) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the panic is in %d log lines, want one", n)
	}
}
