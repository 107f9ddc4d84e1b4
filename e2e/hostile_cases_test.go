package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/microkit-go/micro/examples/comments/api"
)

// hostileCases is the table of TestHostileInputEndToEnd, in the order it
// runs: each case sees the comments the cases before it stored.
func hostileCases(t *testing.T) []hostileCase {
	const js = "application/json"
	post := func(ctype, body string, header ...string) *hostileReq {
		if ctype != "" {
			header = append([]string{"Content-Type", ctype}, header...)
		}
		return &hostileReq{method: "POST", path: "/api/comments", header: header, body: body}
	}
	get := func(path string, header ...string) *hostileReq {
		return &hostileReq{method: "GET", path: path, header: header}
	}
	problem := func(status int, detail string) hostileWant { return hostileWant{status: status, detail: detail} }
	invalid := func(pointer, detail string) hostileWant {
		return hostileWant{status: 422, detail: detail, pointer: pointer}
	}
	one := func(name string, r *hostileReq, w hostileWant, stores ...api.Comment) hostileCase {
		return hostileCase{name: name, reqs: []*hostileReq{r}, want: []hostileWant{w}, stores: stores}
	}
	created := func(comment string) hostileWant {
		b, err := json.Marshal(api.Comment{Comment: comment})
		if err != nil {
			t.Fatal(err)
		}
		return hostileWant{status: 201, json: string(b)}
	}
	const limit = "Body exceeded 65536 byte limit"
	const tooLong = "comment must be at most 1000 characters, not %d"
	nested := strings.Repeat("[", 30000) + strings.Repeat("]", 30000) // 60,000 bytes, under the limit
	// A 200 whose body is over Compress's 1024-byte minimum: the post ID is echoed.
	longPath := "/api/comments/" + strings.Repeat("x", 1200)
	longPost := `{"post":"` + strings.Repeat("x", 1200) + `","comments":%LIST%}`

	cases := []hostileCase{
		// Bodies that are not the JSON the route wants.
		one("malformed JSON is 400", post(js, `{"comment":}`),
			problem(400, "Invalid JSON: invalid character '}' looking for beginning of value (at byte 12)")),
		one("truncated JSON is 400", post(js, `{"comment":"abc`),
			problem(400, "Invalid JSON: unexpected end of JSON input (at byte 15)")),
		one("an empty body is 400", post(js, ""),
			problem(400, "Invalid JSON: the body is empty")),
		one("trailing data after the value is 400", post(js, `{"comment":"a"} {"comment":"b"}`),
			problem(400, "Invalid JSON: invalid character '{' after top-level value (at byte 17)")),
		one("a comment of the wrong type is 400", post(js, `{"comment":["a"]}`),
			problem(400, `Invalid JSON: field "comment" must be a string, not array (at byte 12)`)),
		one("null is an empty comment, 422", post(js, `null`),
			invalid("/comment", "comment must not be empty")),
		one("30,000 nested arrays under the body limit are 400, not a stack overflow", post(js, nested),
			problem(400, "Invalid JSON: invalid character '[' exceeded max depth (at byte 10001)")),
		one("a huge string over the body limit is 413 before the route", post(js, `{"comment":"`+strings.Repeat("x", 70000)+`"}`),
			problem(413, limit)),
		one("a body of exactly the limit passes it and is 422", post(js, `{"comment":"`+strings.Repeat("x", 65536-14)+`"}`),
			invalid("/comment", fmt.Sprintf(tooLong, 65536-14))),
		one("a string just under the limit but over 1000 characters is 422", post(js, `{"comment":"`+strings.Repeat("é", 30000)+`"}`),
			invalid("/comment", fmt.Sprintf(tooLong, 30000))),
		one("invalid UTF-8 in a comment is stored as U+FFFD", post(js, "{\"comment\":\"bad \xff\xfe utf-8\"}"),
			created("bad \uFFFD\uFFFD utf-8"), api.Comment{Comment: "bad \uFFFD\uFFFD utf-8"}),
		one("a lone surrogate escape is stored as U+FFFD", post(js, `{"comment":"half \ud800 pair"}`),
			created("half \uFFFD pair"), api.Comment{Comment: "half \uFFFD pair"}),
		one("a NUL character is stored escaped", post(js, `{"comment":"nul \u0000 byte"}`),
			created("nul \x00 byte"), api.Comment{Comment: "nul \x00 byte"}),

		// Content-Type.
		one("a text/plain body is 415", post("text/plain", `{"comment":"x"}`),
			problem(415, `Unsupported Content-Type "text/plain": expected application/json or a +json type`)),
		one("a form body is stored and redirected to the page with 303", post("application/x-www-form-urlencoded", `comment=from+a+form`),
			hostileWant{status: 303}, api.Comment{Comment: "from a form"}),
		one("a form body with a bad escape is 400", post("application/x-www-form-urlencoded", `comment=%zz`),
			problem(400, `Invalid form: invalid URL escape "%zz"`)),
		one("a garbage Content-Type is 415", post(";;;/", `{"comment":"x"}`),
			problem(415, `Unsupported Content-Type ";;;/": expected application/json or a +json type`)),
		one("a charset other than UTF-8 is 415", post("application/json; charset=latin1", `{"comment":"x"}`),
			problem(415, `Unsupported charset "latin1": JSON must be utf-8`)),
		one("a missing Content-Type is read as JSON and stored", post("", `{"comment":"no type"}`),
			created("no type"), api.Comment{Comment: "no type"}),
	}
	cases = append(cases, hostileWireCases()...)
	cases = append(cases, hostileSlowCases()...)

	// X-Request-Id: kept only when it is a safe token of 1 to 64 characters.
	ids := []struct{ name, id string }{
		{"encoded CR/LF", "abc%0d%0aSet-Cookie:%20x=1"},
		{"65 characters", strings.Repeat("a", 65)},
		{"10 KB", strings.Repeat("a", 10<<10)},
		{"spaces and quotes", `a "quoted" id`},
		{"non-ASCII", "idé"},
		{"a log-injection attempt", `x" level=ERROR msg="forged`},
	}
	for _, c := range ids {
		cases = append(cases, one("an X-Request-Id with "+c.name+" is replaced by a generated one",
			get("/api/comments/id", "X-Request-Id", c.id),
			hostileWant{status: 200, json: `{"post":"id","comments":%LIST%}`, check: hostileNoHeader("Set-Cookie")}))
	}
	cases = append(cases, one("an X-Request-Id of 64 token characters is kept",
		get("/api/comments/id", "X-Request-Id", strings.Repeat("a1._-", 12)+"abcd"),
		hostileWant{status: 200, requestID: strings.Repeat("a1._-", 12) + "abcd", json: `{"post":"id","comments":%LIST%}`}))

	// Forwarding headers from an untrusted peer: the log's client is the
	// peer, 127.0.0.1 (checkReply checks it on every line).
	for _, c := range []struct {
		name string
		hdr  []string
	}{
		{"X-Forwarded-For", []string{"X-Forwarded-For", "203.0.113.9"}},
		{"X-Forwarded-For chain ending in a loopback proxy", []string{"X-Forwarded-For", "203.0.113.9, 198.51.100.7", "X-Forwarded-For", "127.0.0.1"}},
		{"Forwarded", []string{"Forwarded", "for=203.0.113.9;proto=https"}},
		{"X-Real-IP and True-Client-IP", []string{"X-Real-IP", "203.0.113.9", "True-Client-IP", "203.0.113.9"}},
	} {
		cases = append(cases, one("a spoofed "+c.name+" from an untrusted peer is ignored: the log names the peer",
			get("/api/comments/xff", c.hdr...),
			hostileWant{status: 200, json: `{"post":"xff","comments":%LIST%}`, check: hostileLogged("client_ip", "127.0.0.1")}))
	}
	// Signed cookies: whatever does not verify is a new visitor.
	signed := hostileSign(hostileCookieKey, api.VisitorCookie, "victim")
	otherKey := hostileSign("another-key-of-32-bytes-at-least", api.VisitorCookie, "attacker")
	sig := signed[strings.LastIndexByte(signed, '.'):] // ".signature"
	movedSig := base64.RawURLEncoding.EncodeToString([]byte("attacker")) + sig
	for _, c := range []struct{ name, cookie, forged string }{
		{"an unsigned visitor cookie", "visitor=attacker", "attacker"},
		{"a cookie signed with another key", "visitor=" + otherKey, "attacker"},
		{"a valid signature moved to another value", "visitor=" + movedSig, "attacker"},
		{"a truncated signed cookie", "visitor=" + signed[:len(signed)-1], "victim"},
		{"a signed cookie with its signature cut off", "visitor=" + strings.TrimSuffix(signed, sig), "victim"},
		{"a cookie signed for another name", "visitor=" + hostileSign(hostileCookieKey, "admin", "victim"), "victim"},
		{"a forged cookie before a valid one (the first wins)", "visitor=" + otherKey + "; visitor=" + signed, "attacker"},
		{"a 5000-byte cookie", "visitor=" + strings.Repeat("A", 5000), strings.Repeat("A", 5000)},
	} {
		cases = append(cases, one(c.name+" is refused: a new visitor and cookie", get("/api/visitor", "Cookie", c.cookie),
			hostileWant{status: 200, check: hostileNewVisitor(c.forged)}))
	}
	cases = append(cases, one("a cookie signed with the server's key is accepted (the forgeries above are not refused by accident)",
		get("/api/visitor", "Cookie", "visitor="+signed),
		hostileWant{status: 200, json: `{"visitor":"victim","new":false}`, check: hostileNoHeader("Set-Cookie")}))

	// CORS and CSRF: each origin gets a GET, a preflight and a cross-site POST.
	cors := func(origin string, post ...string) []*hostileReq {
		return []*hostileReq{
			get("/api/comments/cors", "Origin", origin),
			{method: "OPTIONS", path: "/api/comments", header: []string{"Origin", origin,
				"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"}},
			{method: "POST", path: "/api/comments", body: `{"comment":"from ` + origin + `"}`,
				header: append([]string{"Content-Type", js, "Origin", origin}, post...)},
		}
	}
	corsGet := hostileWant{status: 200, json: `{"post":"cors","comments":%LIST%}`}
	refused := []hostileWant{corsGet, {status: 204}, problem(403, "Cross-origin request refused")}
	for _, c := range []struct{ name, origin string }{
		{"Origin null", "null"},
		{"a suffix attack (the allowed origin as a subdomain of another site)", "https://app.example.com.evil.com"},
		{"a prefix attack (a longer host ending in the allowed one)", "https://evilapp.example.com"},
		{"a look-alike with a dash for the dot", "https://app-example.com"},
		{"a look-alike on another TLD", "https://app.example.co"},
		{"the allowed host over http", "http://app.example.com"},
		{"the allowed origin with its default port spelled out", "https://app.example.com:443"},
		{"the allowed origin with a trailing slash", "https://app.example.com/"},
	} {
		cases = append(cases, hostileCase{name: c.name + " gets no CORS headers, and its POST is 403",
			reqs: cors(c.origin, "Sec-Fetch-Site", "cross-site"), want: refused})
	}
	cases = append(cases,
		hostileCase{name: "a look-alike origin's POST without Sec-Fetch-Site (an old browser) is 403",
			reqs: cors("https://app.example.com.evil.com"), want: refused},
		hostileCase{
			// CORS and CrossOrigin match origins alike, ignoring ASCII case
			// (one matcher, cors_match.go), so the upper-case spelling is
			// granted and trusted. Browsers serialize hosts in lower case, so
			// no real page sends it.
			name: "the allowed origin in upper case is granted by CORS and trusted by CrossOrigin alike",
			reqs: cors("https://APP.example.com", "Sec-Fetch-Site", "cross-site"),
			want: []hostileWant{
				{status: 200, json: `{"post":"cors","comments":%LIST%}`, acao: "https://APP.example.com",
					check: hostileHeader("Access-Control-Allow-Credentials", "true")},
				{status: 204, acao: "https://APP.example.com", check: hostileHeader("Access-Control-Allow-Methods", "GET, POST")},
				{status: 201, json: `{"comment":"from https://APP.example.com"}`, acao: "https://APP.example.com"},
			},
			stores: []api.Comment{{Comment: "from https://APP.example.com"}},
		},
		hostileCase{
			name: "two Origin headers get no CORS headers",
			reqs: []*hostileReq{get("/api/comments/cors", "Origin", hostileOrigin, "Origin", "https://evil.example")},
			want: []hostileWant{corsGet},
		},
		hostileCase{
			name: "a preflight from the allowed origin for a method it does not allow gets no CORS headers",
			reqs: []*hostileReq{{method: "OPTIONS", path: "/api/comments",
				header: []string{"Origin", hostileOrigin, "Access-Control-Request-Method", "DELETE"}}},
			want: []hostileWant{{status: 204}},
		},
		hostileCase{
			name: "a preflight from the allowed origin naming 100 headers gets no CORS headers",
			reqs: []*hostileReq{{method: "OPTIONS", path: "/api/comments", header: []string{"Origin", hostileOrigin,
				"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", strings.Repeat("content-type,", 100)}}},
			want: []hostileWant{{status: 204}},
		},
		hostileCase{
			name: "the allowed origin is granted and its POST stored (the refusals above are not refused by accident)",
			reqs: cors(hostileOrigin, "Sec-Fetch-Site", "cross-site"),
			want: []hostileWant{
				{status: 200, json: `{"post":"cors","comments":%LIST%}`, acao: hostileOrigin,
					check: hostileHeader("Access-Control-Expose-Headers", "X-Request-Id, Link, ETag, Retry-After, RateLimit, RateLimit-Policy")},
				{status: 204, acao: hostileOrigin, check: hostileHeader("Access-Control-Allow-Headers", "content-type, x-requested-with, if-match")},
				{status: 201, json: `{"comment":"from ` + hostileOrigin + `"}`, acao: hostileOrigin},
			},
			stores: []api.Comment{{Comment: "from " + hostileOrigin}},
		},
	)

	// Odd IDs and paths.
	postOf := func(id string) string {
		b, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		return `{"post":` + string(b) + `,"comments":%LIST%}`
	}
	cases = append(cases,
		one("an escaped ../ in an ID is the ID, not a traversal", get("/api/comments/..%2f..%2fetc%2fpasswd"),
			hostileWant{status: 200, json: postOf("../../etc/passwd")}),
		one("an escaped NUL in an ID is the ID, escaped in JSON", get("/api/comments/%00"),
			hostileWant{status: 200, json: postOf("\x00")}),
		one("an escaped invalid UTF-8 byte in an ID is sent as U+FFFD", get("/api/comments/%ff"),
			hostileWant{status: 200, json: postOf("\uFFFD")}),
		one("a unicode ID is the ID", get("/api/comments/%E2%9C%93-%F0%9F%92%A9"),
			hostileWant{status: 200, json: postOf("✓-💩")}),
		one("a 10,000-character ID is the ID", get("/api/comments/"+strings.Repeat("i", 10000)),
			hostileWant{status: 200, json: postOf(strings.Repeat("i", 10000))}),
		one("an empty segment is redirected to the clean path", get("/api/comments//1"),
			hostileWant{status: 307, check: hostileRedirect("/api/comments/1")}),
		one("dot segments are redirected to the clean path, never above the root", get("/api/../../../etc/passwd"),
			hostileWant{status: 307, check: hostileRedirect("/etc/passwd")}),
		one("an ID of two segments is no route, 404", get("/api/comments/1/2"),
			problem(404, "No route for /api/comments/1/2")),
		one("a long unknown path is 404 with the path cut to 200 bytes", get("/"+strings.Repeat("p", 5000)),
			problem(404, "No route for /"+strings.Repeat("p", 199))),
	)

	// Methods.
	const allow = "GET, HEAD, OPTIONS, POST"
	notAllowed := func(m string) hostileWant {
		w := problem(405, "Method "+m+" is not allowed; allowed: "+allow)
		w.check = hostileHeader("Allow", allow)
		return w
	}
	cases = append(cases,
		one("HEAD is GET without a body", &hostileReq{method: "HEAD", path: "/api/comments"},
			hostileWant{status: 200, check: hostileHeader("Content-Type", "application/json; charset=utf-8")}),
		one("OPTIONS without preflight headers is 204 with Allow", &hostileReq{method: "OPTIONS", path: "/api/comments"},
			hostileWant{status: 204, check: hostileHeader("Allow", allow)}),
		one("TRACE is 405, nothing echoed", &hostileReq{method: "TRACE", path: "/api/comments", header: []string{"X-Secret", "s3cr3t"}},
			notAllowed("TRACE")),
		one("a made-up method is 405", &hostileReq{method: "FOO", path: "/api/comments"}, notAllowed("FOO")),
		one("a lower-case get is 405: methods are case-sensitive", &hostileReq{method: "get", path: "/api/comments"},
			notAllowed("get")),
		one("a 100-character method is 405 with the method cut to 64 characters",
			&hostileReq{method: strings.Repeat("M", 100), path: "/api/comments"}, notAllowed(strings.Repeat("M", 64))),
		one("DELETE on a post is 405 with the post's Allow", &hostileReq{method: "DELETE", path: "/api/comments/1"},
			hostileWant{status: 405, detail: "Method DELETE is not allowed; allowed: GET, HEAD, OPTIONS",
				check: hostileHeader("Allow", "GET, HEAD, OPTIONS")}),
	)

	// Accept-Encoding, on a 200 over Compress's 1024-byte minimum.
	for _, c := range []struct {
		name, ae string
		gzip     bool
	}{
		{"gzip is honoured (the refusals below are not refused by accident)", "gzip", true},
		{"gzip;q=2, a weight over 1, is malformed: no compression", "gzip;q=2", false},
		{"gzip;q=0 refuses gzip", "gzip;q=0", false},
		{"*;q=0 refuses everything: sent as it is", "*;q=0", false},
		{"10 KB of codings with gzip past the first 512 bytes: no compression", strings.Repeat("br;q=0.9, ", 1024) + "gzip", false},
		{"10 KB of codings after gzip: gzip", "gzip, " + strings.Repeat("br;q=0.9, ", 1024), true},
		{"a garbage Accept-Encoding: no compression", ",;;=,q=,gzip;q=x", false},
	} {
		cases = append(cases, one("Accept-Encoding "+c.name, get(longPath, "Accept-Encoding", c.ae),
			hostileWant{status: 200, json: longPost, gzip: c.gzip}))
	}

	// A route that panics (test-only): a 500 problem without the panic
	// text, one log line with the stack, and the server goes on.
	cases = append(cases, one("a route that panics is a 500 problem without the panic text, logged once with its stack",
		get(hostilePanicPath), hostileWant{status: 500, check: hostilePanicked}))
	return cases
}
