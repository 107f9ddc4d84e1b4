package interop_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/justinas/alice"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

// This file holds the API every router serves (written once), the table of
// requests, and the test that sends the table to each router over a real
// server and diffs the answers against the std ServeMux's.
//
// Every path of the API is a micro.Methods, registered on each router for
// every method: method dispatch, 405 and Allow then come from micro, not
// from the router, so they are the same everywhere. Each router also gets
// the API's notFound route as its 404 handler, so an unknown path is the
// same problem everywhere instead of each router's own text.

// allowedOrigin is the one origin the CORS middleware allows.
const allowedOrigin = "https://app.example.com"

// bodyLimit is the BodyLimit of the chains under test: small, so a 413 is
// cheap to provoke.
const bodyLimit = 1024

// testAPI is the shared API. One is made per server: its gate belongs to
// that server's /stream route.
type testAPI struct {
	// gate paces GET /stream: the route waits for a value on it before
	// each item after the first, so a client that receives item n before
	// releasing item n+1 proves item n was flushed on its own.
	gate chan struct{}
}

func newTestAPI() *testAPI { return &testAPI{gate: make(chan struct{})} }

// route is one path of the API, in ServeMux syntax ({name} wildcards), with
// the handler for every method on it.
type route struct {
	path string
	h    http.Handler
}

// item is the body of POST /items.
type item struct {
	Name string `json:"name"`
}

// thing is an element of GET /things.
type thing struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// tick is an item of GET /stream.
type tick struct {
	N int `json:"n"`
}

// routes returns the API. Every handler reads path parameters with
// r.PathValue, whatever the router: the adapters in each router's file
// set them.
func (a *testAPI) routes() []route {
	return []route{
		{"/items/{id}", micro.Methods{http.MethodGet: micro.Handler(getItem)}},
		{"/items", micro.Methods{http.MethodPost: micro.Handler(createItem)}},
		{"/boom", micro.Methods{http.MethodGet: micro.Handler(func(*http.Request) (any, error) {
			panic("boom: secret panic text")
		})}},
		{"/stream", micro.Methods{http.MethodGet: micro.Handler(a.stream)}},
		{"/things", micro.Methods{
			http.MethodGet: micro.Handler(listThings),
			http.MethodPut: micro.Handler(func(*http.Request) (any, error) { return nil, nil }),
		}},
		{"/plain/{word}", micro.Methods{http.MethodGet: http.HandlerFunc(plain)}},
	}
}

// notFound is the 404 route every router is given for unknown paths.
var notFound = micro.Handler(func(r *http.Request) (any, error) {
	return nil, micro.Errorf(http.StatusNotFound, "No route for %.100q", r.URL.Path)
})

// getItem answers GET /items/{id}: the id, which must be decimal digits
// (of any script).
func getItem(r *http.Request) (any, error) {
	id := r.PathValue("id")
	if id == "" || strings.IndexFunc(id, func(c rune) bool { return !unicode.IsDigit(c) }) >= 0 {
		return nil, micro.Errorf(http.StatusBadRequest, "id %q is not a number", id)
	}
	return map[string]string{"id": id}, nil
}

// createItem answers POST /items with 201 and a Location.
func createItem(r *http.Request) (any, error) {
	it, err := micro.JSON[item](r)
	if err != nil {
		return nil, err
	}
	return &micro.Response{
		Status: http.StatusCreated,
		Header: http.Header{"Location": {"/items/7"}},
		Body:   map[string]string{"id": "7", "name": it.Name},
	}, nil
}

// listThings answers GET /things with a body large enough to compress.
func listThings(*http.Request) (any, error) {
	things := make([]thing, 100)
	for i := range things {
		things[i] = thing{ID: i, Name: "thing number " + strconv.Itoa(i)}
	}
	return things, nil
}

// stream answers GET /stream with three ticks, each after the gate opens.
func (a *testAPI) stream(r *http.Request) (any, error) {
	return micro.Stream(func(yield func(tick) bool) {
		for i := 1; i <= 3; i++ {
			if i > 1 {
				select {
				case <-a.gate:
				case <-r.Context().Done():
					return
				}
			}
			if !yield(tick{i}) {
				return
			}
		}
	}), nil
}

// plain is the API's plain http.Handler: GET /plain/{word}. The word
// "panic" makes it panic, which only the Recover middleware catches.
func plain(w http.ResponseWriter, r *http.Request) {
	word := r.PathValue("word")
	if word == "panic" {
		panic("plain: secret panic text")
	}
	_ = send.Text(w, r, http.StatusOK, "hello, "+word)
}

// testChain is our middleware as every router gets it: Default with CORS
// for one origin and a small body limit, logging JSON lines to logs.
func testChain(logs io.Writer) alice.Chain {
	return middleware.Default(middleware.DefaultConfig{
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		CORS: &middleware.CORSConfig{
			AllowedOrigins:   []string{allowedOrigin},
			AllowedMethods:   []string{"GET", "POST", "PUT"},
			AllowedHeaders:   []string{"Content-Type"},
			ExposedHeaders:   []string{"Location"},
			AllowCredentials: true,
			MaxAge:           10 * time.Minute,
		},
		BodyLimit: bodyLimit,
	})
}

// colonPattern turns {name} wildcards into gin's and echo's :name.
func colonPattern(p string) string {
	return wildcard.ReplaceAllString(p, ":$1")
}

var wildcard = regexp.MustCompile(`\{(\w+)\}`)

// logBuffer collects the JSON log lines of one server; safe for the
// server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// linesFor returns the log lines with the request ID id.
func (b *logBuffer) linesFor(id string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var lines []map[string]any
	for _, l := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil && m["request_id"] == id {
			lines = append(lines, m)
		}
	}
	return lines
}

// all returns everything logged.
func (b *logBuffer) all() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// variant is a router with our middleware mounted one way.
type variant struct {
	name string
	// build returns the handler to serve: the router with the API, the
	// 404 route and the chain (built on logs) mounted.
	build func(a *testAPI, logs io.Writer) http.Handler
	// differences are the cases where this variant cannot answer as the
	// ServeMux does, by case name.
	differences map[string]difference
	// http2 serves it over TLS with HTTP/2, which the client then uses.
	http2 bool
	// syntax turns a ServeMux pattern into the router's own template
	// syntax, the one it records (colonPattern for gin and echo); nil
	// when the router writes ServeMux's.
	syntax func(pattern string) string
	// notFoundHook is set when the router takes the 404 route through a
	// not-found hook instead of a route: its log line says unmatched
	// where the ServeMux's names catchAll.
	notFoundHook bool
}

// difference documents a case a router answers differently from the
// ServeMux, and asserts what it answers instead.
type difference struct {
	why string
	// want turns the ServeMux's result into this router's.
	want func(ref result) result
}

// server is a variant being served on 127.0.0.1.
type server struct {
	url    string
	api    *testAPI
	logs   *logBuffer
	client *http.Client
}

// startServer serves v on a real listener, over HTTP/1.1, until the test
// ends.
func startServer(t *testing.T, h func(a *testAPI, logs io.Writer) http.Handler) *server {
	return startServerOver(t, h, false)
}

// startServerOver is startServer, over TLS with HTTP/2 when http2 is set.
func startServerOver(t *testing.T, h func(a *testAPI, logs io.Writer) http.Handler, http2 bool) *server {
	t.Helper()
	s := &server{api: newTestAPI(), logs: &logBuffer{}}
	ts := httptest.NewUnstartedServer(h(s.api, s.logs))
	tr := &http.Transport{DisableCompression: true}
	if http2 {
		ts.EnableHTTP2 = true
		ts.StartTLS()
		tr = ts.Client().Transport.(*http.Transport).Clone()
		tr.DisableCompression = true
		tr.ForceAttemptHTTP2 = true
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	t.Cleanup(tr.CloseIdleConnections)
	s.url, s.client = ts.URL, &http.Client{
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// request is a request of the table.
type request struct {
	method string
	path   string // sent as is: escapes stay as written
	header map[string]string
	body   string
	// chunked sends body without a Content-Length.
	chunked bool
	// stream reads the body item by item (NDJSON lines or SSE events),
	// opening the route's gate between items.
	stream bool
}

// result is what a response looked like, normalized for comparison.
type result struct {
	Proto  string // HTTP/1.1, or HTTP/2.0 for the http2 variant
	Status int
	// Header is every response header but Date, with X-Request-Id
	// replaced by its shape (see requestIDShape).
	Header http.Header
	// Body is the body, gunzipped once when Content-Encoding is gzip; for
	// a stream, what came after the items.
	Body string
	// Items are a stream's items, in the order they arrived.
	Items []string
	// Log is the request's log lines, as "LEVEL status method path route
	// [error]", the route in ServeMux's syntax (see normalRoute).
	Log []string
}

// generatedID is the shape of a request ID RequestID makes.
var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// requestIDShape is what the response's X-Request-Id is, relative to the
// request's.
func requestIDShape(sent, got string) string {
	switch {
	case got == "":
		return ""
	case sent != "" && got == sent:
		return "echoed"
	case generatedID.MatchString(got):
		return "generated"
	}
	return "unexpected: " + got
}

// do sends req to s and returns the normalized result.
func (s *server) do(t *testing.T, req request) result {
	t.Helper()
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
		if req.chunked {
			body = io.MultiReader(body) // hides the length: chunked
		}
	}
	r, err := http.NewRequest(req.method, s.url+req.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	resp, err := s.client.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer resp.Body.Close()

	res := result{Proto: resp.Proto, Status: resp.StatusCode, Header: resp.Header.Clone()}
	res.Header.Del("Date")
	id := resp.Header.Get(middleware.RequestIDHeader)
	if id != "" {
		res.Header.Set(middleware.RequestIDHeader, requestIDShape(r.Header.Get(middleware.RequestIDHeader), id))
	}
	rd := io.Reader(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: gzip: %v", req.method, req.path, err)
		}
		rd = zr
	}
	if req.stream {
		res.Items = s.readItems(t, bufio.NewReader(rd), resp.Header.Get("Content-Type"))
		rd = io.MultiReader() // readItems read to the end
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.method, req.path, err)
	}
	res.Body = string(b)
	if id != "" {
		res.Log = s.logLines(t, id)
	}
	return res
}

// readItems reads the three items of GET /stream, releasing each after the
// first only once the one before it has arrived, then the end of the body.
func (s *server) readItems(t *testing.T, br *bufio.Reader, contentType string) []string {
	t.Helper()
	sse := strings.HasPrefix(contentType, "text/event-stream")
	var items []string
	for i := 1; i <= 3; i++ {
		if i > 1 {
			select {
			case s.api.gate <- struct{}{}:
			case <-time.After(10 * time.Second):
				t.Fatalf("the stream never asked for item %d", i)
			}
		}
		var item strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("item %d: %v (got %q)", i, err, item.String()+line)
			}
			if !sse {
				item.WriteString(line)
				break
			}
			if line == "\n" {
				break
			}
			item.WriteString(line)
		}
		items = append(items, item.String())
	}
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("after the items: %v", err)
	}
	if len(rest) > 0 {
		items = append(items, "after the items: "+string(rest))
	}
	return items
}

// logLines waits (boundedly) for the request's log line: the logger writes
// it after the handler returns, which may be after the client has read
// the response.
func (s *server) logLines(t *testing.T, id string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var lines []map[string]any
	for {
		if lines = s.logs.linesFor(id); len(lines) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	var out []string
	for _, l := range lines {
		s := fmt.Sprintf("%v %v %v %v %v", l["level"], l["status"], l["method"], l["path"], normalRoute(fmt.Sprint(l["route"])))
		if _, ok := l["error"]; ok {
			s += " [error]"
		}
		out = append(out, s)
	}
	return out
}

// normalRoute is a logged route in ServeMux's syntax, for comparison
// across routers: gin and echo record their own templates, whose :name is
// ServeMux's {name}. Anything else (a raw path, a route missing from the
// line, logged as "<nil>") is left as it is, to differ.
func normalRoute(route string) string {
	return colonParam.ReplaceAllString(route, "{$1}")
}

var colonParam = regexp.MustCompile(`:(\w+)`)

// logRouteField is the index of the route among the fields of a Log line.
const logRouteField = 4

// withLogRoute returns log with the route of every line replaced by route.
func withLogRoute(log []string, route string) []string {
	for i, l := range log {
		f := strings.Fields(l)
		f[logRouteField] = route
		log[i] = strings.Join(f, " ")
	}
	return log
}

// unmatched is the route the log line reports for a request no route
// served (middleware.RouteFrom's word).
const unmatched = "unmatched"

// catchAll is the ServeMux pattern stdRouter gives the 404 route: a route
// like any other to the ServeMux, so its log line names it. The other
// routers take the 404 route through a not-found hook, which is no route:
// where the ServeMux logs catchAll, they log unmatched.
const catchAll = "/"

// tcase is a request of the table with what the ServeMux must answer; the
// other routers must answer as the ServeMux does.
type tcase struct {
	name string
	req  request
	// route is the route the ServeMux's log line names: an API path of
	// routes(), catchAll for the 404 route, or unmatched when our chain
	// answers before the ServeMux routes (a preflight, a declared body
	// over the limit). status is the ServeMux's status; body, when not
	// empty, its body; header, headers it must have ("" for one it must
	// not have); items, a stream's items.
	route  string
	status int
	body   string
	header map[string]string
	items  []string
}

// problem is the problem JSON send.Error writes.
func problem(status int, detail string) string {
	b, _ := json.Marshal(detail)
	return fmt.Sprintf(`{"type":"about:blank","title":%q,"status":%d,"detail":%s}`, http.StatusText(status), status, b)
}

// problemNoDetail is the problem JSON of a 500 whose cause is private.
func problemNoDetail(status int) string {
	return fmt.Sprintf(`{"type":"about:blank","title":%q,"status":%d}`, http.StatusText(status), status)
}

var (
	jsonCT           = map[string]string{"Content-Type": "application/json"}
	fromApp          = map[string]string{"Origin": allowedOrigin}
	fromEvil         = map[string]string{"Origin": "https://app.example.com.evil.example"}
	bigJSON          = `{"name":"` + strings.Repeat("x", 2*bodyLimit) + `"}`
	ndjsonTicks      = []string{"{\"n\":1}\n", "{\"n\":2}\n", "{\"n\":3}\n"}
	sseTicks         = []string{"data: {\"n\":1}\n", "data: {\"n\":2}\n", "data: {\"n\":3}\n"}
	grantedPreflight = map[string]string{
		"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Methods": "GET, POST, PUT",
		"Access-Control-Allow-Headers": "content-type", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Max-Age": "600", "Allow": "",
	}
	preflight = func(origin string) map[string]string {
		return map[string]string{
			"Origin":                         origin,
			"Access-Control-Request-Method":  "PUT",
			"Access-Control-Request-Headers": "content-type",
		}
	}
)

// routerCases is the table every router answers.
func routerCases() []tcase {
	return []tcase{
		// Path parameters.
		{name: "path param is read with PathValue", req: request{method: "GET", path: "/items/42"},
			route: "/items/{id}", status: 200, body: `{"id":"42"}`, header: map[string]string{"X-Request-Id": "generated", "Access-Control-Allow-Origin": ""}},
		{name: "percent-encoded path param is unescaped", req: request{method: "GET", path: "/items/%34%32"},
			route: "/items/{id}", status: 200, body: `{"id":"42"}`},
		{name: "unicode path param arrives decoded", req: request{method: "GET", path: "/items/%D9%A4%D9%A2"},
			route: "/items/{id}", status: 200, body: `{"id":"٤٢"}`},
		{name: "lower-case escapes of a unicode param are unescaped", req: request{method: "GET", path: "/items/%e4%b8%80"},
			route: "/items/{id}", status: 400, body: problem(400, `id "一" is not a number`)},
		{name: "escaped slash stays inside one param", req: request{method: "GET", path: "/items/4%2F2"},
			route: "/items/{id}", status: 400, body: problem(400, `id "4/2" is not a number`)},
		{name: "bad path param is a 400 problem", req: request{method: "GET", path: "/items/abc"},
			route: "/items/{id}", status: 400, body: problem(400, `id "abc" is not a number`)},

		// Bodies.
		{name: "POST is 201 with Location", req: request{method: "POST", path: "/items", header: jsonCT, body: `{"name":"x"}`},
			route: "/items", status: 201, body: `{"id":"7","name":"x"}`, header: map[string]string{"Location": "/items/7"}},
		{name: "invalid JSON is 400", req: request{method: "POST", path: "/items", header: jsonCT, body: `{"name":`},
			route: "/items", status: 400, body: problem(400, "Invalid JSON: unexpected end of JSON input (at byte 8)")},
		{name: "wrong JSON type is 400 naming the field", req: request{method: "POST", path: "/items", header: jsonCT, body: `{"name":5}`},
			route: "/items", status: 400, body: problem(400, `Invalid JSON: field "name" must be a string, not number (at byte 9)`)},
		{name: "wrong Content-Type is 415", req: request{method: "POST", path: "/items", header: map[string]string{"Content-Type": "text/plain"}, body: `{"name":"x"}`},
			route: "/items", status: 415, header: map[string]string{"Content-Type": "application/problem+json"}},
		{name: "declared body over the limit is 413", req: request{method: "POST", path: "/items", header: jsonCT, body: bigJSON},
			route: unmatched, status: 413, body: problem(413, "Body exceeded 1024 byte limit")},
		{name: "chunked body over the limit is 413", req: request{method: "POST", path: "/items", header: jsonCT, body: bigJSON, chunked: true},
			route: "/items", status: 413, body: problem(413, "Body exceeded 1024 byte limit")},

		// Panics.
		{name: "panic in a micro route is a 500 problem without its text", req: request{method: "GET", path: "/boom"},
			route: "/boom", status: 500, body: problemNoDetail(500)},
		{name: "panic in a plain handler is Recover's 500 problem", req: request{method: "GET", path: "/plain/panic"},
			route: "/plain/{word}", status: 500, body: problemNoDetail(500)},
		{name: "plain handler reads its path param", req: request{method: "GET", path: "/plain/world"},
			route: "/plain/{word}", status: 200, body: "hello, world"},

		// Streams.
		{name: "NDJSON stream arrives item by item", req: request{method: "GET", path: "/stream", stream: true},
			route: "/stream", status: 200, items: ndjsonTicks, header: map[string]string{"Content-Type": "application/x-ndjson"}},
		{name: "SSE stream arrives event by event", req: request{method: "GET", path: "/stream", stream: true,
			header: map[string]string{"Accept": "text/event-stream"}}, route: "/stream", status: 200, items: sseTicks,
			header: map[string]string{"Content-Type": "text/event-stream"}},
		{name: "stream is not held back by an accepted gzip", req: request{method: "GET", path: "/stream", stream: true,
			header: map[string]string{"Accept-Encoding": "gzip"}}, route: "/stream", status: 200, items: ndjsonTicks},

		// Methods.
		{name: "large body without Accept-Encoding is identity", req: request{method: "GET", path: "/things"}, route: "/things", status: 200,
			header: map[string]string{"Content-Encoding": "", "Vary": "Origin, Accept-Encoding"}},
		{name: "large body is gzipped once when accepted", req: request{method: "GET", path: "/things",
			header: map[string]string{"Accept-Encoding": "gzip"}}, route: "/things", status: 200,
			header: map[string]string{"Content-Encoding": "gzip"}},
		{name: "HEAD is served by GET without a body", req: request{method: "HEAD", path: "/things"}, route: "/things", status: 200,
			header: map[string]string{"Content-Length": "3481"}},
		{name: "HEAD of a path param route", req: request{method: "HEAD", path: "/items/42"}, route: "/items/{id}", status: 200},
		{name: "PUT with no content is 204", req: request{method: "PUT", path: "/things"}, route: "/things", status: 204},
		{name: "unlisted method is micro's 405 with Allow", req: request{method: "DELETE", path: "/things"},
			route: "/things", status: 405, body: problem(405, "Method DELETE is not allowed; allowed: GET, HEAD, OPTIONS, PUT"),
			header: map[string]string{"Allow": "GET, HEAD, OPTIONS, PUT"}},
		{name: "made-up method is micro's 405 with Allow", req: request{method: "BREW", path: "/things"},
			route: "/things", status: 405, body: problem(405, "Method BREW is not allowed; allowed: GET, HEAD, OPTIONS, PUT")},
		{name: "OPTIONS without preflight is micro's 204 with Allow", req: request{method: "OPTIONS", path: "/things"}, route: "/things", status: 204,
			header: map[string]string{"Allow": "GET, HEAD, OPTIONS, PUT"}},

		// CORS.
		{name: "preflight from the allowed origin is 204 with CORS headers", req: request{method: "OPTIONS", path: "/things",
			header: preflight(allowedOrigin)}, route: unmatched, status: 204, header: grantedPreflight},
		{name: "preflight from another origin is 204 without CORS headers", req: request{method: "OPTIONS", path: "/things",
			header: preflight(fromEvil["Origin"])}, route: unmatched, status: 204,
			header: map[string]string{"Access-Control-Allow-Origin": "", "Allow": ""}},
		{name: "preflight to an unknown path is answered before routing", req: request{method: "OPTIONS", path: "/nope",
			header: preflight(allowedOrigin)}, route: unmatched, status: 204, header: grantedPreflight},
		{name: "actual request from the allowed origin gets CORS headers", req: request{method: "GET", path: "/items/42",
			header: fromApp}, route: "/items/{id}", status: 200, header: map[string]string{
			"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Expose-Headers": "Location", "Vary": "Origin, Accept-Encoding"}},
		{name: "actual request from another origin gets only Vary", req: request{method: "GET", path: "/items/42",
			header: fromEvil}, route: "/items/{id}", status: 200, header: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin, Accept-Encoding"}},
		{name: "refusal carries CORS headers", req: request{method: "POST", path: "/items",
			header: map[string]string{"Origin": allowedOrigin, "Content-Type": "application/json"}, body: bigJSON}, route: unmatched, status: 413,
			header: map[string]string{"Access-Control-Allow-Origin": allowedOrigin}},

		// Not found.
		{name: "unknown path is our 404 problem", req: request{method: "GET", path: "/nope"},
			route: catchAll, status: 404, body: problem(404, `No route for "/nope"`), header: map[string]string{"Content-Type": "application/problem+json"}},
		{name: "unknown path with another method is our 404", req: request{method: "POST", path: "/nope"},
			route: catchAll, status: 404, body: problem(404, `No route for "/nope"`)},
		{name: "trailing slash is our 404, not a redirect", req: request{method: "GET", path: "/things/"},
			route: catchAll, status: 404, body: problem(404, `No route for "/things/"`)},
		{name: "root is our 404", req: request{method: "GET", path: "/"},
			route: catchAll, status: 404, body: problem(404, `No route for "/"`)},

		// Request IDs.
		{name: "valid X-Request-Id is echoed", req: request{method: "GET", path: "/items/1",
			header: map[string]string{"X-Request-Id": "req-123.abc_DEF"}}, route: "/items/{id}", status: 200,
			header: map[string]string{"X-Request-Id": "echoed"}},
		{name: "invalid X-Request-Id is replaced", req: request{method: "GET", path: "/items/1",
			header: map[string]string{"X-Request-Id": "has space"}}, route: "/items/{id}", status: 200,
			header: map[string]string{"X-Request-Id": "generated"}},
	}
}

// TestRoutersAnswerLikeServeMux sends the table to every router over a real
// server and diffs each answer against the std ServeMux's: status, every
// header but Date, the body, stream items as they arrived, and the
// request's log line. The ServeMux's answers are checked against the
// table first. A router that cannot match a case documents why in its
// differences, and the test asserts that documented answer instead.
func TestRoutersAnswerLikeServeMux(t *testing.T) {
	cases := routerCases()
	ref := startServer(t, stdRouter)
	want := make([]result, len(cases))
	for i, c := range cases {
		want[i] = ref.do(t, c.req)
		if want[i].Status != c.status {
			t.Errorf("ServeMux: %s: status %d, want %d (body %q)", c.name, want[i].Status, c.status, want[i].Body)
		}
		if c.body != "" && want[i].Body != c.body {
			t.Errorf("ServeMux: %s: body\n got %s\nwant %s", c.name, want[i].Body, c.body)
		}
		for k, v := range c.header {
			if got := strings.Join(want[i].Header.Values(k), ", "); got != v {
				t.Errorf("ServeMux: %s: %s %q, want %q", c.name, k, got, v)
			}
		}
		if diff := cmp.Diff(c.items, want[i].Items); diff != "" {
			t.Errorf("ServeMux: %s: items (-want +got):\n%s", c.name, diff)
		}
		if len(want[i].Log) != 1 {
			t.Errorf("ServeMux: %s: log lines %q, want exactly one", c.name, want[i].Log)
		} else if got := strings.Fields(want[i].Log[0])[logRouteField]; got != c.route {
			t.Errorf("ServeMux: %s: logged route %q, want %q", c.name, got, c.route)
		}
	}
	if t.Failed() {
		t.Fatalf("the reference is wrong; logs:\n%s", ref.logs.all())
	}

	seen := make(map[string]bool)
	for _, v := range variants() {
		t.Run(v.name, func(t *testing.T) {
			s := startServerOver(t, v.build, v.http2)
			for i, c := range cases {
				got := s.do(t, c.req)
				if v.http2 {
					if got.Proto != "HTTP/2.0" {
						t.Fatalf("%s: answered over %s, want HTTP/2.0", c.name, got.Proto)
					}
					got.Proto = "HTTP/1.1" // the one expected difference
				}
				exp := cloneResult(want[i])
				if v.notFoundHook && c.route == catchAll {
					exp.Log = withLogRoute(exp.Log, unmatched)
				}
				if d, ok := v.differences[c.name]; ok {
					seen[v.name+"/"+c.name] = true
					exp = d.want(exp)
				}
				if diff := cmp.Diff(exp, got); diff != "" {
					t.Errorf("%s: %s %s differs from ServeMux (-ServeMux +%s):\n%s", c.name, c.req.method, c.req.path, v.name, diff)
				}
			}
			for name := range v.differences {
				if !seen[v.name+"/"+name] {
					t.Errorf("documented difference %q matches no case", name)
				}
			}
		})
	}
}

// answeredAs is a difference where the router's own handler (our 404 or
// 405 route given to it, never micro.Methods) answers instead: a problem
// with status and detail, no Allow, and a log line with that status and
// the route unmatched, since no route of the API served the request.
func answeredAs(status int, detail string) func(ref result) result {
	return func(ref result) result {
		ref.Status = status
		ref.Body = problem(status, detail)
		ref.Header.Del("Allow")
		ref.Header.Set("Content-Length", strconv.Itoa(len(ref.Body)))
		for i, l := range ref.Log {
			f := strings.Fields(l) // level status method path route
			f[1] = strconv.Itoa(status)
			ref.Log[i] = strings.Join(f, " ")
		}
		ref.Log = withLogRoute(ref.Log, unmatched)
		return ref
	}
}

// cloneResult copies r deeply enough for a difference to modify it.
func cloneResult(r result) result {
	r.Header = r.Header.Clone()
	r.Items = append([]string(nil), r.Items...)
	r.Log = append([]string(nil), r.Log...)
	return r
}

// variants are the routers under test, each with our chain outside it and
// inside its middleware slot.
func variants() []variant {
	// The reference again, over TLS and HTTP/2: the same answers, streams
	// flushed item by item included.
	vs := []variant{{name: "std/http2", build: stdRouter, http2: true}}
	for _, r := range []struct {
		name string
		// routes builds the router with the API and the middleware it is
		// given in its middleware slot.
		routes      func(a *testAPI, mws ...func(http.Handler) http.Handler) http.Handler
		differences map[string]difference
		syntax      func(pattern string) string
	}{
		{"chi", chiRoutes, chiDifferences, nil},
		{"gorilla", gorillaRoutes, nil, nil},
		{"gin", ginRoutes, ginDifferences, colonPattern},
		{"echo", echoRoutes, echoDifferences, colonPattern},
	} {
		outside := func(a *testAPI, logs io.Writer) http.Handler { return testChain(logs).Then(r.routes(a)) }
		inside := func(a *testAPI, logs io.Writer) http.Handler { return r.routes(a, testChain(logs).Then) }
		vs = append(vs,
			variant{name: r.name + "/outside", build: outside, differences: r.differences, syntax: r.syntax, notFoundHook: true},
			variant{name: r.name + "/inside", build: inside, differences: r.differences, syntax: r.syntax, notFoundHook: true})
	}
	return vs
}
