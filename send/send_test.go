package send_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

// recorded is the part of a recorded response the tests compare.
type recorded struct {
	Status int
	Header http.Header
	Body   string
}

func record(h http.HandlerFunc, r *http.Request) recorded {
	w := httptest.NewRecorder()
	h(w, r)
	return recorded{w.Code, w.Header(), w.Body.String()}
}

func TestValueHEADSendsHeadersWithoutBody(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want http.Header
	}{
		{"string", "hello", http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Length": {"5"}}},
		{"bytes", []byte("hello"), http.Header{"Content-Type": {"application/octet-stream"}, "Content-Length": {"5"}}},
		{"JSON", map[string]int{"a": 1}, http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Content-Length": {"7"}}},
		{"reader of known size", strings.NewReader("hello"), http.Header{"Content-Type": {"application/octet-stream"}, "Content-Length": {"5"}}},
		{"reader of unknown size", io.MultiReader(strings.NewReader("hello")), http.Header{"Content-Type": {"application/octet-stream"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := record(func(w http.ResponseWriter, r *http.Request) { send.Value(w, r, 200, tt.v) },
				httptest.NewRequest("HEAD", "/", nil))
			if diff := cmp.Diff(recorded{200, tt.want, ""}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// closeTracker is a reader that records Close and how much was read.
type closeTracker struct {
	io.Reader
	read   int
	closed bool
}

func (c *closeTracker) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	c.read += n
	return n, err
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func TestValueClosesReaders(t *testing.T) {
	for _, tc := range []struct {
		name     string
		method   string
		status   int
		wantRead int
	}{
		{"after streaming it", "GET", 200, 5},
		{"unread for HEAD", "HEAD", 200, 0},
		{"unread for 204", "GET", 204, 0},
		{"unread for a bad status", "GET", 42, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd := &closeTracker{Reader: strings.NewReader("hello")}
			record(func(w http.ResponseWriter, r *http.Request) { send.Value(w, r, tc.status, rd) },
				httptest.NewRequest(tc.method, "/", nil))
			if !rd.closed || rd.read != tc.wantRead {
				t.Errorf("closed %v, read %d bytes; want closed, %d", rd.closed, rd.read, tc.wantRead)
			}
		})
	}
}

func TestValueFileHasContentLength(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(path, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(4, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := record(func(w http.ResponseWriter, r *http.Request) { send.Value(w, r, 200, f) },
		httptest.NewRequest("GET", "/", nil))
	want := recorded{200, http.Header{"Content-Type": {"application/octet-stream"}, "Content-Length": {"6"}}, "456789"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := f.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("file not closed: Read error %v", err)
	}
}

func TestValueLargeStreamIsChunked(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send.Value(w, r, 200, io.MultiReader(strings.NewReader(big)))
	}))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.ContentLength != -1 || len(res.TransferEncoding) == 0 || string(b) != big {
		t.Errorf("ContentLength %d, TransferEncoding %v, %d bytes; want chunked %d bytes",
			res.ContentLength, res.TransferEncoding, len(b), len(big))
	}
}

// failAfter yields data and then fails.
type failAfter struct {
	data []byte
	err  error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestValueReadErrorAfterFirstByteAbortsTheConnection(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	srv := httptest.NewServer(middleware.ErrorLogger(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		send.Value(w, r, 200, &failAfter{data: []byte(strings.Repeat("x", 10000)), err: errors.New("disk on fire")})
	})))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d, want the 200 already sent", res.StatusCode)
	}
	if _, err := io.ReadAll(res.Body); err == nil {
		t.Error("body read to the end without error; want the connection aborted")
	}
	srv.Close() // waits for the handler
	if n := strings.Count(logs.String(), "disk on fire"); n != 1 {
		t.Errorf("the read error was logged %d times, want once:\n%s", n, logs.String())
	}
}

func TestValueZeroByteReadsAreRetried(t *testing.T) {
	got := record(func(w http.ResponseWriter, r *http.Request) {
		send.Value(w, r, 200, iotest.DataErrReader(iotest.OneByteReader(strings.NewReader("abc"))))
	}, httptest.NewRequest("GET", "/", nil))
	if got.Body != "abc" {
		t.Errorf("body %q, want abc", got.Body)
	}
}

// get is a GET request for the writers that take one.
var get = httptest.NewRequest("GET", "/", nil)

func TestJSON(t *testing.T) {
	w := httptest.NewRecorder()
	if err := send.JSON(w, get, 201, map[string]string{"html": "<a&b>"}); err != nil {
		t.Fatal(err)
	}
	want := recorded{201, http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Content-Length": {"16"}}, `{"html":"<a&b>"}`}
	if diff := cmp.Diff(want, recorded{w.Code, w.Header(), w.Body.String()}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestJSONEncodingErrorWritesNothing(t *testing.T) {
	type node struct{ Next *node }
	cycle := &node{}
	cycle.Next = cycle
	for _, v := range []any{math.Inf(1), make(chan int), func() {}, cycle} {
		w := httptest.NewRecorder()
		if err := send.JSON(w, get, 200, v); err == nil {
			t.Errorf("%T: no error", v)
		}
		if w.Body.Len() != 0 || len(w.Header()) != 0 || w.Flushed {
			t.Errorf("%T: wrote %q, headers %v", v, w.Body, w.Header())
		}
	}
}

func TestJSONLargeValue(t *testing.T) {
	big := strings.Repeat("é", 100<<10) // bigger than the pooled buffers
	for range 2 {
		w := httptest.NewRecorder()
		if err := send.JSON(w, get, 200, big); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got != big {
			t.Fatalf("round trip failed: %v", err)
		}
	}
}

func TestInvalidStatusPanicsInWriters(t *testing.T) {
	for name, f := range map[string]func(){
		"JSON": func() { _ = send.JSON(httptest.NewRecorder(), get, 99, 1) },
		"Text": func() { _ = send.Text(httptest.NewRecorder(), get, 600, "x") },
	} {
		if testkit.Recover(f) == nil {
			t.Errorf("%s: no panic for an invalid status", name)
		}
	}
}

func TestText(t *testing.T) {
	got := record(func(w http.ResponseWriter, r *http.Request) { _ = send.Text(w, r, 404, "no such page") },
		httptest.NewRequest("GET", "/", nil))
	want := recorded{404, http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Length": {"12"}}, "no such page"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestErrorClassification(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		err     error
		ctx     context.Context
		method  string
		want    recorded
		wantLog string // the level logged, "" for none
	}{
		{"a plain error is a 500 without detail, logged", errors.New("secret"), nil, "GET",
			recorded{500, serverProblemHeader("67"), `{"type":"about:blank","title":"Internal Server Error","status":500}`}, "ERROR"},
		{"a nil error is a 500, logged", nil, nil, "GET",
			recorded{500, serverProblemHeader("67"), `{"type":"about:blank","title":"Internal Server Error","status":500}`}, "ERROR"},
		{"a client that went away is 499, not logged as an error", context.Canceled, canceled, "GET",
			recorded{499, problemHeader("67"), `{"type":"about:blank","title":"Client Closed Request","status":499}`}, "DEBUG"},
		{"context.Canceled while the client is there is a 500", context.Canceled, nil, "GET",
			recorded{500, serverProblemHeader("67"), `{"type":"about:blank","title":"Internal Server Error","status":500}`}, "ERROR"},
		{"HEAD gets the headers and no body", statusErr{404}, nil, "HEAD",
			recorded{404, problemHeader("79"), ``}, ""},
		{"a ProblemFiller sets type, title, instance and extensions", richErr{409, []send.Member{{"balance", 30}}}, nil, "GET",
			recorded{409, problemHeader("122"), `{"type":"https://example.com/t","title":"Out of credit","status":409,"detail":"rich error","instance":"/i/1","balance":30}`}, ""},
		{"a ProblemFiller found through a wrapper", fmt.Errorf("op: %w", richErr{404, nil}), nil, "GET",
			recorded{404, problemHeader("109"), `{"type":"https://example.com/t","title":"Out of credit","status":404,"detail":"rich error","instance":"/i/1"}`}, ""},
		{"a ProblemFiller of a 5xx is logged", richErr{503, nil}, nil, "GET",
			recorded{503, serverProblemHeader("109"), `{"type":"https://example.com/t","title":"Out of credit","status":503,"detail":"rich error","instance":"/i/1"}`}, "ERROR"},
		{"an extension that cannot be encoded is a 500 without detail, logged", richErr{422, []send.Member{{"bad", make(chan int)}}}, nil, "GET",
			recorded{500, serverProblemHeader("67"), `{"type":"about:blank","title":"Internal Server Error","status":500}`}, "ERROR"},
		{"a ProblemFiller without a public status is not asked", richErr{200, []send.Member{{"secret", 1}}}, nil, "GET",
			recorded{500, serverProblemHeader("67"), `{"type":"about:blank","title":"Internal Server Error","status":500}`}, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			r := httptest.NewRequest(tt.method, "/p", nil)
			if tt.ctx != nil {
				r = r.WithContext(tt.ctx)
			}
			w := httptest.NewRecorder()
			middleware.ErrorLogger(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				send.Error(w, r, tt.err)
			})).ServeHTTP(w, r)
			if diff := cmp.Diff(tt.want, recorded{w.Code, w.Header(), w.Body.String()}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			var line struct{ Level string }
			if logs.Len() > 0 {
				if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
					t.Fatalf("not one JSON log line: %q", logs.String())
				}
			}
			if line.Level != tt.wantLog {
				t.Errorf("logged at %q, want %q: %s", line.Level, tt.wantLog, logs.String())
			}
		})
	}
}

type statusErr struct{ status int }

func (e statusErr) Error() string   { return "status error" }
func (e statusErr) StatusCode() int { return e.status }

// richErr fills in its problem's members, and tries to change the status.
type richErr struct {
	status int
	ext    []send.Member
}

func (e richErr) Error() string   { return "rich error" }
func (e richErr) StatusCode() int { return e.status }
func (e richErr) FillProblem(p send.Problem) send.Problem {
	p.Type, p.Title, p.Instance, p.Extensions = "https://example.com/t", "Out of credit", "/i/1", e.ext
	p.Status = 200 // put back by Error
	return p
}

// serverProblemHeader is problemHeader for a 5xx: no shared cache may
// store it.
func serverProblemHeader(length string) http.Header {
	h := problemHeader(length)
	h["Cache-Control"] = []string{"no-store"}
	return h
}

func problemHeader(length string) http.Header {
	return http.Header{
		"Content-Type":           {"application/problem+json"},
		"X-Content-Type-Options": {"nosniff"},
		"Content-Length":         {length},
	}
}

func TestErrorReplacesRepresentationHeaders(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("ETag", `"v1"`)
	w.Header().Set("Vary", "Origin")
	send.Error(w, httptest.NewRequest("GET", "/", nil), statusErr{400})
	want := problemHeader("81")
	want["Vary"] = []string{"Origin"}
	if diff := cmp.Diff(want, w.Header()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestErrorHandsCauseToReportingMiddleware(t *testing.T) {
	var logs bytes.Buffer
	cause := errors.New("db down")
	r, st := state.Attach(httptest.NewRequest("GET", "/", nil))
	st.Log.Reporting = true
	st.Log.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	send.Error(httptest.NewRecorder(), r, cause)
	if st.Log.Cause != cause || logs.Len() != 0 {
		t.Errorf("Cause = %v, logged %q; want the cause recorded and nothing logged", st.Log.Cause, logs.String())
	}
}

func TestValueInvalidStatusIsA500(t *testing.T) {
	got := record(func(w http.ResponseWriter, r *http.Request) { send.Value(w, r, 42, "x") },
		httptest.NewRequest("GET", "/", nil))
	if got.Status != 500 {
		t.Errorf("status %d, want 500", got.Status)
	}
}

// brokenWriter is a response writer whose client has gone: every Write
// fails.
type brokenWriter struct{ *httptest.ResponseRecorder }

func (brokenWriter) Write([]byte) (int, error)       { return 0, errors.New("broken pipe") }
func (brokenWriter) WriteString(string) (int, error) { return 0, errors.New("broken pipe") }

// TestJSONAndTextAlike: both writers take the request, answer HEAD with
// the headers alone and report a failed write the same way.
func TestJSONAndTextAlike(t *testing.T) {
	for name, write := range map[string]func(w http.ResponseWriter, r *http.Request) error{
		"JSON": func(w http.ResponseWriter, r *http.Request) error { return send.JSON(w, r, 200, "hi") },
		"Text": func(w http.ResponseWriter, r *http.Request) error { return send.Text(w, r, 200, "hi") },
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if err := write(w, httptest.NewRequest("HEAD", "/", nil)); err != nil || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
				t.Errorf("HEAD: err %v, body %q, Content-Length %q; want the headers alone", err, w.Body, w.Header().Get("Content-Length"))
			}
			if err := write(brokenWriter{httptest.NewRecorder()}, get); err == nil || err.Error() != "broken pipe" {
				t.Errorf("a failed write returned %v, want it", err)
			}
		})
	}
}

// TestErrorAnswersACutBodyWith413 checks that a route reading a body cut
// by http.MaxBytesReader itself, and returning the error, gets the 413 the
// body helpers give, not a 500.
func TestErrorAnswersACutBodyWith413(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8)
		if _, err := io.ReadAll(r.Body); err != nil {
			send.Error(w, r, fmt.Errorf("reading the upload: %w", err))
		}
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader("0123456789")))
	var p send.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if w.Code != 413 || p.Status != 413 || p.Detail != "Body exceeded 8 byte limit" {
		t.Errorf("%d %+v", w.Code, p)
	}
}

// Each benchmark runs send beside a hand-written net/http baseline, as
// sub-benchmarks impl=send and impl=nethttp: compare them with
// benchstat -col /impl.

func bench(b *testing.B, impls map[string]http.HandlerFunc) {
	for _, name := range []string{"impl=nethttp", "impl=send"} {
		b.Run(name, func(b *testing.B) {
			testkit.Bench(b, impls[name], httptest.NewRequest("GET", "/", nil))
		})
	}
}

// BenchmarkError compares a problem response with http.Error's plain text.
func BenchmarkError(b *testing.B) {
	bench(b, map[string]http.HandlerFunc{
		"impl=nethttp": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no such comment", http.StatusNotFound)
		},
		"impl=send": func(w http.ResponseWriter, r *http.Request) {
			send.Error(w, r, statusErr{http.StatusNotFound})
		},
	})
}

// BenchmarkErrorExtensions compares a problem with its own type, title,
// instance and two extension members with the same body encoded by
// encoding/json from a map.
func BenchmarkErrorExtensions(b *testing.B) {
	err := richErr{http.StatusConflict, []send.Member{{"balance", 30}, {"accounts", []string{"/account/1", "/account/2"}}}}
	bench(b, map[string]http.HandlerFunc{
		"impl=nethttp": func(w http.ResponseWriter, r *http.Request) {
			body, _ := json.Marshal(map[string]any{
				"type": "https://example.com/t", "title": "Out of credit", "status": http.StatusConflict,
				"detail": "rich error", "instance": "/i/1", "balance": 30, "accounts": []string{"/account/1", "/account/2"},
			})
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			w.Write(body)
		},
		"impl=send": func(w http.ResponseWriter, r *http.Request) {
			send.Error(w, r, err)
		},
	})
}

// BenchmarkText compares send.Text with setting the headers and writing.
func BenchmarkText(b *testing.B) {
	bench(b, map[string]http.HandlerFunc{
		"impl=nethttp": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "hello, world")
		},
		"impl=send": func(w http.ResponseWriter, r *http.Request) {
			_ = send.Text(w, r, http.StatusOK, "hello, world")
		},
	})
}
