package middleware_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestCompressConfigPanics(t *testing.T) {
	tests := []struct {
		name string
		cfg  middleware.CompressConfig
		want string
	}{
		{"a level above 9 panics", middleware.CompressConfig{Level: 10}, "Level 10"},
		{"a level below -2 panics", middleware.CompressConfig{Level: -3}, "Level -3"},
		{"a negative MinSize panics", middleware.CompressConfig{MinSize: -1}, "MinSize -1"},
		{"a negative Streams panics", middleware.CompressConfig{Streams: -1}, "Streams -1"},
		{"*/* panics", middleware.CompressConfig{Types: []string{"text/html", "*/*"}}, "wastes CPU"},
		{"*/json panics", middleware.CompressConfig{Types: []string{"*/json"}}, "wastes CPU"},
		{"a partial wildcard panics", middleware.CompressConfig{Types: []string{"text/x-*"}}, "whole subtype"},
		{"a type without subtype panics", middleware.CompressConfig{Types: []string{"text"}}, "not a media type"},
		{"an empty entry panics", middleware.CompressConfig{Types: []string{""}}, "not a media type"},
		{"parameters panic", middleware.CompressConfig{Types: []string{"text/html; charset=utf-8"}}, "not a media type"},
		{"spaces inside panic", middleware.CompressConfig{Types: []string{"text/ html"}}, "not a media type"},
		{"a very long type panics", middleware.CompressConfig{Types: []string{"text/" + strings.Repeat("a", 200)}}, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := panicMessage(func() { middleware.Compress(tt.cfg) })
			if !strings.HasPrefix(msg, "middleware: Compress") || !strings.Contains(msg, tt.want) {
				t.Errorf("panic %q, want one starting with %q and containing %q", msg, "middleware: Compress", tt.want)
			}
		})
	}
	t.Run("a nil handler panics", func(t *testing.T) {
		msg := panicMessage(func() { middleware.Compress(middleware.CompressConfig{})(nil) })
		if !strings.HasPrefix(msg, "middleware: Compress") {
			t.Errorf("panic %q, want a middleware: Compress message", msg)
		}
	})
	t.Run("valid configurations do not panic", func(t *testing.T) {
		for _, cfg := range []middleware.CompressConfig{
			{}, {Level: 1}, {Level: 9}, {Level: -1}, {Level: -2}, {MinSize: 1},
			{Types: []string{"Text/*", "application/vnd.api+json", " image/svg+xml "}},
		} {
			if msg := panicMessage(func() { middleware.Compress(cfg) }); msg != "" {
				t.Errorf("Compress(%+v) panicked: %s", cfg, msg)
			}
		}
	})
}

// compressResult is what the tests compare of a response.
type compressResult struct {
	Status   int
	Encoding string
	Vary     []string
	Length   string
	Type     string
	ETag     string
	Body     string // decompressed when gzipped
}

// compressText returns n bytes of compressible text that start with seed.
func compressText(seed string, n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%s line %d: the quick brown fox jumps over the lazy dog.\n", seed, i)
	}
	return b.String()[:n]
}

var (
	compressBig   = compressText("big", 4096)
	compressSmall = compressText("small", 100)
	compressPNG   = "\x89PNG\r\n\x1a\n" + compressText("png", 4088)
)

// compressDo serves one request through Compress(cfg)(h) and returns the
// result, with the body decompressed when it is gzipped.
func compressDo(t *testing.T, cfg middleware.CompressConfig, method, accept string, h http.HandlerFunc) compressResult {
	t.Helper()
	r := httptest.NewRequest(method, "/", nil)
	if accept != "" {
		r.Header.Set("Accept-Encoding", accept)
	}
	w := httptest.NewRecorder()
	middleware.Compress(cfg)(h).ServeHTTP(w, r)
	return compressRead(t, w.Result())
}

func compressRead(t *testing.T, res *http.Response) compressResult {
	t.Helper()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("Content-Encoding") == "gzip" {
		body = compressGunzip(t, body)
	}
	return compressResult{
		Status:   res.StatusCode,
		Encoding: res.Header.Get("Content-Encoding"),
		Vary:     res.Header.Values("Vary"),
		Length:   res.Header.Get("Content-Length"),
		Type:     res.Header.Get("Content-Type"),
		ETag:     res.Header.Get("ETag"),
		Body:     string(body),
	}
}

func compressGunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip stream: %v", err)
	}
	return out
}

// compressWrite returns a handler that sets the headers (name, value
// pairs), the status (0: none) and writes body.
func compressWrite(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(header); i += 2 {
			w.Header().Add(header[i], header[i+1])
		}
		if status != 0 {
			w.WriteHeader(status)
		}
		io.WriteString(w, body)
	}
}

// compressFlushed is a handler that sets Content-Type, writes first,
// flushes and writes second.
func compressFlushed(contentType, first, second string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		io.WriteString(w, first)
		w.(http.Flusher).Flush()
		io.WriteString(w, second)
	}
}

var compressVary = []string{"Accept-Encoding"}

func TestCompressPassesThrough(t *testing.T) {
	html := "text/html; charset=utf-8"
	// A page worth compressing, and that page sent as it is.
	page := compressWrite(0, compressBig, "Content-Type", html)
	pageAsIs := compressResult{Status: 200, Vary: compressVary, Type: html, Body: compressBig}
	tests := []struct {
		name    string
		method  string
		accept  string
		upgrade bool
		h       http.HandlerFunc
		want    compressResult
	}{
		{"no Accept-Encoding is not compressed, but varies", "GET", "", false, page, pageAsIs},
		{"gzip;q=0 is not compressed, but varies", "GET", "gzip;q=0, br", false, page, pageAsIs},
		{"identity only is not compressed", "GET", "identity", false, page, pageAsIs},
		{"HEAD is not compressed, but varies", "HEAD", "gzip", false, page, pageAsIs},
		{"204 is not compressed", "GET", "gzip", false,
			compressWrite(http.StatusNoContent, ""),
			compressResult{Status: 204}},
		// A 304 carries the Vary and the ETag its 200 would (RFC 9110,
		// 15.4.5); the 200 of a gzip client may have been compressed, with
		// a weak ETag.
		{"304 is not compressed, and varies and validates like its 200", "GET", "gzip", false,
			compressWrite(http.StatusNotModified, "", "Content-Type", html, "ETag", `"v1"`),
			compressResult{Status: 304, Vary: compressVary, Type: html, ETag: `W/"v1"`}},
		{"304 for a client without gzip keeps its strong ETag", "GET", "", false,
			compressWrite(http.StatusNotModified, "", "Content-Type", html, "ETag", `"v1"`),
			compressResult{Status: 304, Vary: compressVary, Type: html, ETag: `"v1"`}},
		{"an encoded response is untouched and does not vary", "GET", "gzip", false,
			compressWrite(0, compressBig, "Content-Type", html, "Content-Encoding", "br"),
			compressResult{Status: 200, Encoding: "br", Type: html, Body: compressBig}},
		{"206 is not compressed", "GET", "gzip", false,
			compressWrite(http.StatusPartialContent, compressBig, "Content-Type", html, "Content-Range", "bytes 0-4095/9000"),
			compressResult{Status: 206, Vary: compressVary, Type: html, Body: compressBig}},
		{"Content-Range is not compressed", "GET", "gzip", false,
			compressWrite(0, compressBig, "Content-Type", html, "Content-Range", "bytes 0-4095/9000"),
			compressResult{Status: 200, Vary: compressVary, Type: html, Body: compressBig}},
		{"an upgrade request is untouched", "GET", "gzip", true,
			compressWrite(0, compressBig, "Content-Type", html),
			compressResult{Status: 200, Type: html, Body: compressBig}},
		{"a type not listed is not compressed and does not vary", "GET", "gzip", false,
			compressWrite(0, compressBig, "Content-Type", "image/png"),
			compressResult{Status: 200, Type: "image/png", Body: compressBig}},
		{"an empty Content-Type is not compressed", "GET", "gzip", false,
			compressWrite(0, compressBig, "Content-Type", ""),
			compressResult{Status: 200, Body: compressBig}},
		{"a sniffed PNG is typed and not compressed", "GET", "gzip", false,
			compressWrite(0, compressPNG),
			compressResult{Status: 200, Type: "image/png", Body: compressPNG}},
		{"a body below MinSize with Content-Length is not compressed", "GET", "gzip", false,
			compressWrite(0, compressSmall, "Content-Type", html, "Content-Length", "100"),
			compressResult{Status: 200, Vary: compressVary, Length: "100", Type: html, Body: compressSmall}},
		{"a body below MinSize without Content-Length is not compressed", "GET", "gzip", false,
			compressWrite(0, compressSmall, "Content-Type", html),
			compressResult{Status: 200, Vary: compressVary, Type: html, Body: compressSmall}},
		{"a body of MinSize-1 bytes is not compressed", "GET", "gzip", false,
			compressWrite(0, compressBig[:1023], "Content-Type", html),
			compressResult{Status: 200, Vary: compressVary, Type: html, Body: compressBig[:1023]}},
		{"a small sniffed body is typed and not compressed", "GET", "gzip", false,
			compressWrite(0, "<html>hi</html>"),
			compressResult{Status: 200, Vary: compressVary, Type: html, Body: "<html>hi</html>"}},
		{"an empty body is not compressed", "GET", "gzip", false,
			compressWrite(0, "", "Content-Type", html),
			compressResult{Status: 200, Vary: compressVary, Type: html}},
		{"an empty body of unknown type is not typed", "GET", "gzip", false,
			compressWrite(0, ""),
			compressResult{Status: 200}},
		{"no Accept-Encoding still sniffs a missing type, and varies", "GET", "", false,
			func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "<html>")
				io.WriteString(w, compressBig)
			},
			compressResult{Status: 200, Vary: compressVary, Type: html, Body: "<html>" + compressBig}},
		{"a Flush before any byte of unknown type sends it as it is", "GET", "gzip", false,
			func(w http.ResponseWriter, r *http.Request) {
				w.(http.Flusher).Flush()
				io.WriteString(w, compressBig)
			},
			compressResult{Status: 200, Body: compressBig}},
		{"a Flush of a type not listed sends it as it is", "GET", "gzip", false,
			compressFlushed("image/png", compressSmall, compressBig),
			compressResult{Status: 200, Type: "image/png", Body: compressSmall + compressBig}},
		{"an event stream is sent as it is, however long, and varies", "GET", "gzip", false,
			compressWrite(0, compressBig, "Content-Type", "text/event-stream"),
			compressResult{Status: 200, Vary: compressVary, Type: "text/event-stream", Body: compressBig}},
		{"an NDJSON stream is sent as it is, however long, and varies", "GET", "gzip", false,
			compressWrite(0, compressBig, "Content-Type", "Application/X-NDJSON; charset=utf-8"),
			compressResult{Status: 200, Vary: compressVary, Type: "Application/X-NDJSON; charset=utf-8", Body: compressBig}},
		{"a Flush before MinSize of a listed type sends it as it is", "GET", "gzip", false,
			compressFlushed(html, compressSmall, compressBig),
			compressResult{Status: 200, Vary: compressVary, Type: html, Body: compressSmall + compressBig}},
		{"a second WriteHeader before the body is ignored", "GET", "gzip", false,
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusAccepted)
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, compressSmall)
			},
			compressResult{Status: 202, Vary: compressVary, Type: "text/plain", Body: compressSmall}},
		{"a strong ETag stays strong when not compressed", "GET", "", false,
			compressWrite(0, compressBig, "Content-Type", html, "ETag", `"v1"`),
			compressResult{Status: 200, Vary: compressVary, Type: html, ETag: `"v1"`, Body: compressBig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/", nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Encoding", tt.accept)
			}
			if tt.upgrade {
				r.Header.Set("Connection", "Upgrade")
				r.Header.Set("Upgrade", "websocket")
			}
			w := httptest.NewRecorder()
			middleware.Compress(middleware.CompressConfig{})(tt.h).ServeHTTP(w, r)
			if diff := cmp.Diff(tt.want, compressRead(t, w.Result())); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompressCompresses(t *testing.T) {
	html := "text/html; charset=utf-8"
	big := compressText("big", 1<<20)
	tests := []struct {
		name string
		cfg  middleware.CompressConfig
		h    http.HandlerFunc
		want compressResult
	}{
		{"a body of exactly MinSize is compressed", middleware.CompressConfig{},
			compressWrite(0, compressBig[:1024], "Content-Type", html),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: html, Body: compressBig[:1024]}},
		{"a body of MinSize+1 is compressed", middleware.CompressConfig{},
			compressWrite(0, compressBig[:1025], "Content-Type", html),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: html, Body: compressBig[:1025]}},
		{"a 1 MB body is compressed", middleware.CompressConfig{},
			compressWrite(0, big, "Content-Type", html),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: html, Body: big}},
		{"Content-Length at MinSize is compressed and removed", middleware.CompressConfig{},
			compressWrite(0, compressBig[:1024], "Content-Type", html, "Content-Length", "1024"),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: html, Body: compressBig[:1024]}},
		{"a body in small writes is compressed once MinSize is reached", middleware.CompressConfig{},
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", html)
				for i := 0; i < len(compressBig); i += 100 {
					io.WriteString(w, compressBig[i:min(i+100, len(compressBig))])
				}
			},
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: html, Body: compressBig}},
		{"Write after WriteHeader keeps the status", middleware.CompressConfig{},
			compressWrite(http.StatusCreated, compressBig, "Content-Type", "application/json"),
			compressResult{Status: 201, Encoding: "gzip", Vary: compressVary, Type: "application/json", Body: compressBig}},
		{"an error status is compressed too", middleware.CompressConfig{},
			compressWrite(http.StatusNotFound, compressBig, "Content-Type", "text/plain"),
			compressResult{Status: 404, Encoding: "gzip", Vary: compressVary, Type: "text/plain", Body: compressBig}},
		{"a missing Content-Type is sniffed and set", middleware.CompressConfig{},
			compressWrite(0, "<html>"+compressBig),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: html, Body: "<html>" + compressBig}},
		{"a strong ETag is made weak", middleware.CompressConfig{},
			compressWrite(0, compressBig, "Content-Type", html, "ETag", `"v1"`),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: html, ETag: `W/"v1"`, Body: compressBig}},
		{"a weak ETag stays as it is", middleware.CompressConfig{},
			compressWrite(0, compressBig, "Content-Type", html, "ETag", `W/"v1"`),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: html, ETag: `W/"v1"`, Body: compressBig}},
		{"Vary is appended to an existing Vary", middleware.CompressConfig{},
			compressWrite(0, compressBig, "Content-Type", html, "Vary", "Origin"),
			compressResult{Status: 200, Encoding: "gzip", Vary: []string{"Origin", "Accept-Encoding"}, Type: html, Body: compressBig}},
		{"Vary already naming Accept-Encoding is not repeated", middleware.CompressConfig{},
			compressWrite(0, compressBig, "Content-Type", html, "Vary", "origin, accept-encoding"),
			compressResult{Status: 200, Encoding: "gzip", Vary: []string{"origin, accept-encoding"}, Type: html, Body: compressBig}},
		{"Vary: * is kept alone", middleware.CompressConfig{},
			compressWrite(0, compressBig, "Content-Type", html, "Vary", "*"),
			compressResult{Status: 200, Encoding: "gzip", Vary: []string{"*"}, Type: html, Body: compressBig}},
		{"the media type is matched case-insensitively", middleware.CompressConfig{},
			compressWrite(0, compressBig, "Content-Type", "Application/JSON; Charset=UTF-8"),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "Application/JSON; Charset=UTF-8", Body: compressBig}},
		{"a +json type is compressed by default", middleware.CompressConfig{},
			compressWrite(0, compressBig, "Content-Type", "application/vnd.api+json"),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "application/vnd.api+json", Body: compressBig}},
		{"a custom type/* entry compresses that type", middleware.CompressConfig{Types: []string{"text/*"}},
			compressWrite(0, compressBig, "Content-Type", "text/x-custom"),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "text/x-custom", Body: compressBig}},
		{"a custom MinSize is honoured", middleware.CompressConfig{MinSize: 10, Level: 1},
			compressWrite(0, compressSmall, "Content-Type", "text/plain"),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "text/plain", Body: compressSmall}},
		{"a WriteHeader after the body started is ignored", middleware.CompressConfig{},
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, compressBig)
				w.WriteHeader(http.StatusInternalServerError)
			},
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "text/plain", Body: compressBig}},
		{"a Flush before MinSize compresses a listed type when Streams allows it", middleware.CompressConfig{Streams: 1},
			compressFlushed("text/html", "<p>1</p>", "<p>2</p>"),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "text/html", Body: "<p>1</p><p>2</p>"}},
		{"an event stream is compressed when Streams allows it", middleware.CompressConfig{Streams: 1},
			compressFlushed("text/event-stream", "data: 1\n\n", "data: 2\n\n"),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "text/event-stream", Body: "data: 1\n\ndata: 2\n\n"}},
		{"a stream type with a Content-Length is no stream", middleware.CompressConfig{},
			compressWrite(0, compressBig, "Content-Type", "application/x-ndjson", "Content-Length", strconv.Itoa(len(compressBig))),
			compressResult{Status: 200, Encoding: "gzip", Vary: compressVary, Type: "application/x-ndjson", Body: compressBig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compressDo(t, tt.cfg, "GET", "gzip, deflate, br", tt.h)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompressCustomTypesReplaceTheDefaults(t *testing.T) {
	cfg := middleware.CompressConfig{Types: []string{"text/*"}}
	for _, ct := range []string{"application/json", "application/problem+json"} {
		got := compressDo(t, cfg, "GET", "gzip", compressWrite(0, compressBig, "Content-Type", ct))
		want := compressResult{Status: 200, Type: ct, Body: compressBig}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", ct, diff)
		}
	}
}

// BenchmarkCompress measures one request per iteration through ours, a
// bare handler and gorilla's CompressHandler, on the same writer.
func BenchmarkCompress(b *testing.B) {
	var payload []byte
	{
		type item struct {
			ID      int    `json:"id"`
			Author  string `json:"author"`
			Comment string `json:"comment"`
		}
		var items []item
		for i := 0; len(payload) < 8<<10; i++ {
			items = append(items, item{i, fmt.Sprintf("user%d", i%17), fmt.Sprintf("comment number %d, nice post", i)})
			payload, _ = json.Marshal(items)
		}
	}
	jsonType := []string{"application/json"}
	serve := func(body []byte) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = jsonType
			w.Write(body)
		})
	}
	ours := middleware.Compress(middleware.CompressConfig{})
	gorilla := handlers.CompressHandler
	bare := func(h http.Handler) http.Handler { return h }

	cases := []struct {
		name   string
		accept []string
		body   []byte
	}{
		{"json-8KiB", []string{"gzip, deflate, br, zstd"}, payload},
		{"small-100B", []string{"gzip, deflate, br, zstd"}, payload[:100]},
		{"no-accept-encoding", nil, payload},
		{"hostile-accept-encoding-100KB", []string{strings.Repeat("x;q=0.5, ", 11000) + "gzip"}, payload},
	}
	for _, c := range cases {
		for _, mw := range []struct {
			name string
			mw   func(http.Handler) http.Handler
		}{{"bare", bare}, {"micro", ours}, {"gorilla", gorilla}} {
			b.Run("case="+c.name+"/impl="+mw.name, func(b *testing.B) {
				h := mw.mw(serve(c.body))
				r := httptest.NewRequest("GET", "/", nil)
				// One writer throughout, counting the bytes, so the figures
				// show the middleware alone.
				w := &testkit.Discard{}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.Header())
					r.Header["Accept-Encoding"] = c.accept // gorilla deletes it
					h.ServeHTTP(w, r)
				}
				b.ReportMetric(float64(w.Bytes)/float64(b.N), "wire-B/op")
			})
		}
	}
}

// TestCompressSmallBodyIsOneResponseWithALength: on a real connection, a
// body under MinSize that the client would take gzipped is held, then sent
// as it is, with no flush: net/http still sees the whole body and sends a
// Content-Length, not chunks.
func TestCompressSmallBodyIsOneResponseWithALength(t *testing.T) {
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, compressSmall[:50])
		_, _ = io.WriteString(w, compressSmall[50:])
	})
	srv := httptest.NewServer(middleware.Compress(middleware.CompressConfig{})(route))
	defer srv.Close()
	for _, accept := range []string{"gzip", ""} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Accept-Encoding", accept) // set, so the transport does not add its own
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.ContentLength != int64(len(compressSmall)) || len(res.TransferEncoding) != 0 || string(body) != compressSmall {
			t.Errorf("Accept-Encoding %q: Content-Length %d, Transfer-Encoding %v, %d body bytes; want Content-Length %d",
				accept, res.ContentLength, res.TransferEncoding, len(body), len(compressSmall))
		}
	}
}
