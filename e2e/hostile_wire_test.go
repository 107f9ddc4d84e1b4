package e2e

import (
	"fmt"
	"strings"

	"github.com/microkit-go/micro/examples/comments/api"
)

// hostileWireCases are the requests only a raw TCP connection can send:
// lying lengths, broken framing, oversized or malformed header lines.
func hostileWireCases() []hostileCase {
	// postHead is the start of a POST of JSON to /api/comments.
	const postHead = "POST /api/comments HTTP/1.1\r\nHost: hostile.test\r\nContent-Type: application/json\r\n"
	problem := func(status int, detail string) hostileWant { return hostileWant{status: status, detail: detail} }
	std := func(status int, body string) hostileWant { return hostileWant{status: status, plain: body} }
	chunked := func(body string, size int) string { // body in chunks of size bytes, then the last chunk
		var b strings.Builder
		for len(body) > 0 {
			n := min(size, len(body))
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
			body = body[n:]
		}
		return b.String() + "0\r\n\r\n"
	}
	over := `{"comment":"` + strings.Repeat("x", 70000) + `"}`

	return []hostileCase{
		// Content-Length that lies.
		{
			name: "a Content-Length shorter than the body: the rest is read as the next request, which net/http refuses",
			raw:  postHead + "Content-Length: 10\r\n\r\n" + `{"comment":"lie"}` + "\r\n\r\n",
			want: []hostileWant{
				problem(400, "Invalid JSON: unexpected end of JSON input (at byte 10)"),
				std(400, "400 Bad Request"),
			},
			closed: true,
		},
		{
			name: "a negative Content-Length is net/http's 400",
			raw:  postHead + "Content-Length: -1\r\n\r\n{}",
			want: []hostileWant{std(400, "400 Bad Request")}, closed: true,
		},
		{
			name: "two different Content-Lengths are net/http's 400",
			raw:  postHead + "Content-Length: 2\r\nContent-Length: 20\r\n\r\n{}",
			want: []hostileWant{std(400, "400 Bad Request")}, closed: true,
		},
		{
			name: "a Content-Length of 1 GiB is 413 before a byte of the body is read",
			raw:  postHead + "Content-Length: 1073741824\r\n\r\n",
			want: []hostileWant{problem(413, "Body exceeded 65536 byte limit")}, closed: true,
		},
		{
			name: "Expect: 100-continue with a Content-Length over the limit is 413, the body never asked for",
			raw:  postHead + "Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n",
			want: []hostileWant{problem(413, "Body exceeded 65536 byte limit")},
		},

		// Chunked bodies and Transfer-Encoding.
		{
			// Only the first 64 KiB are read; net/http then drains the rest
			// (it reads up to 256 KiB past what the handler read) and keeps
			// the connection, whose framing is intact.
			// BodyLimit tells net/http the body was cut, so the rest of it is
			// never read and nothing after it is taken as a request.
			name: "a chunked body over the limit is 413 and the connection is closed, the rest unread",
			raw: postHead + "Transfer-Encoding: chunked\r\n\r\n" + chunked(over, 7000) +
				"GET /api/comments/next HTTP/1.1\r\nHost: hostile.test\r\n\r\n",
			want:   []hostileWant{problem(413, "Body exceeded 65536 byte limit")},
			closed: true,
		},
		{
			name:   "a chunked body under the limit is stored",
			raw:    postHead + "Transfer-Encoding: chunked\r\n\r\n" + chunked(`{"comment":"in chunks"}`, 5),
			want:   []hostileWant{{status: 201, json: `{"comment":"in chunks"}`}},
			stores: []api.Comment{{Comment: "in chunks"}},
		},
		{
			name: "a chunk size that is not hex is 400 and the connection is closed",
			raw:  postHead + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
			want: []hostileWant{problem(400, "Invalid body: the request body could not be read")}, closed: true,
		},
		{
			name: "Transfer-Encoding overrides Content-Length (RFC 9112): what follows the chunked body is the next request",
			raw: postHead + "Content-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
				"GET /api/comments/smuggled HTTP/1.1\r\nHost: hostile.test\r\n\r\n",
			want: []hostileWant{
				problem(400, "Invalid JSON: the body is empty"),
				{status: 200, json: `{"post":"smuggled","comments":%LIST%}`},
			},
		},
		{
			name: "a Transfer-Encoding other than chunked is net/http's 501",
			raw:  postHead + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
			want: []hostileWant{std(501, "Unsupported transfer encoding")}, closed: true,
		},

		// Header lines.
		{
			name: "a header block over MaxHeaderBytes is net/http's 431",
			raw:  "GET /api/comments HTTP/1.1\r\nHost: hostile.test\r\nX-Big: " + strings.Repeat("a", 100<<10) + "\r\n\r\n",
			want: []hostileWant{std(431, "431 Request Header Fields Too Large")}, closed: true,
		},
		{
			name: "a request line over MaxHeaderBytes is net/http's 431",
			raw:  "GET /api/comments/" + strings.Repeat("a", 100<<10) + " HTTP/1.1\r\nHost: hostile.test\r\n\r\n",
			want: []hostileWant{std(431, "431 Request Header Fields Too Large")}, closed: true,
		},
		{
			name: "HTTP/1.1 without Host is net/http's 400",
			raw:  "GET /api/comments HTTP/1.1\r\n\r\n",
			want: []hostileWant{std(400, "400 Bad Request: missing required Host header")}, closed: true,
		},
		{
			name: "a method that is not a token is net/http's 400",
			raw:  "G(T /api/comments HTTP/1.1\r\nHost: hostile.test\r\n\r\n",
			want: []hostileWant{std(400, "400 Bad Request")}, closed: true,
		},
		{
			name: "a bare CR inside X-Request-Id is net/http's 400",
			raw:  "GET /api/comments HTTP/1.1\r\nHost: hostile.test\r\nX-Request-Id: abc\rX-Injected: 1\r\n\r\n",
			want: []hostileWant{std(400, "400 Bad Request")}, closed: true,
		},
		{
			// net/http ends a header line at a bare LF, as RFC 9112 section 2.2
			// lets a recipient do: the request has X-Request-Id: abc, a valid
			// token that is kept, and a separate X-Injected header. Nothing
			// reaches the response but "abc".
			name: "a bare LF inside X-Request-Id ends the line: the ID before it is kept, nothing is injected",
			raw:  "GET /api/comments/lf HTTP/1.1\r\nHost: hostile.test\r\nX-Request-Id: abc\nX-Injected: 1\r\n\r\n",
			want: []hostileWant{{status: 200, requestID: "abc", json: `{"post":"lf","comments":%LIST%}`,
				check: hostileNoHeader("X-Injected")}},
		},
		{
			// net/http unfolds an obs-fold continuation into one value,
			// "abc def", which has a space: RequestID replaces it.
			name: "an X-Request-Id folded onto a second line is replaced by a generated one",
			raw:  "GET /api/comments/fold HTTP/1.1\r\nHost: hostile.test\r\nX-Request-Id: abc\r\n def\r\n\r\n",
			want: []hostileWant{{status: 200, json: `{"post":"fold","comments":%LIST%}`}},
		},
	}
}
