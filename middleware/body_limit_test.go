package middleware_test

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/justinas/alice"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestBodyLimitPanicsOnNonPositiveLimit(t *testing.T) {
	for _, n := range []int64{0, -1} {
		if testkit.Recover(func() { middleware.BodyLimit(n) }) == nil {
			t.Errorf("BodyLimit(%d) did not panic", n)
		}
	}
}

func TestBodyLimitRefusesDeclaredLengthBeforeTheRoute(t *testing.T) {
	called := false
	h := middleware.BodyLimit(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	body := &testkit.CountingReader{R: strings.NewReader(strings.Repeat("x", 11))}
	r := httptest.NewRequest("POST", "/", body)
	r.ContentLength = 11
	w := serve(h, r)
	p := testkit.RecordedProblem(t, w)
	if w.Code != 413 || p.Detail != "Body exceeded 10 byte limit" || called || body.N() != 0 {
		t.Errorf("status %d, detail %q, route called %v, %d bytes read", w.Code, p.Detail, called, body.N())
	}
}

func TestBodyLimitCutsChunkedBodiesForMicroJSON(t *testing.T) {
	route := micro.Handler(func(r *http.Request) (any, error) {
		return micro.JSON[map[string]string](r)
	})
	h := middleware.BodyLimit(16)(route)
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"over the limit", `{"a":"0123456789"}`, 413},
		{"exactly the limit", `{"a":"01234567"}`, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", io.MultiReader(strings.NewReader(tc.body)))
			r.ContentLength = -1 // chunked
			r.Header.Set("Content-Type", "application/json")
			w := serve(h, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 413 {
				if p := testkit.RecordedProblem(t, w); p.Detail != "Body exceeded 16 byte limit" {
					t.Errorf("detail %q", p.Detail)
				}
			}
		})
	}
}

func TestBodyLimitCutsALyingContentLength(t *testing.T) {
	var err error
	h := middleware.BodyLimit(4)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err = io.ReadAll(r.Body)
	}))
	r := httptest.NewRequest("POST", "/", strings.NewReader("0123456789"))
	r.ContentLength = 3 // declares less than it sends
	serve(h, r)
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) || mbe.Limit != 4 {
		t.Errorf("read error %v, want *http.MaxBytesError with limit 4", err)
	}
}

func TestBodyLimitPassesBodilessRequests(t *testing.T) {
	h := middleware.BodyLimit(1)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != http.NoBody {
			t.Errorf("Body was wrapped: %T", r.Body)
		}
	}))
	if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != 200 {
		t.Errorf("status %d", w.Code)
	}
}

// TestBodyLimitClosesTheConnectionAfterACutBody sends, on one connection, a
// chunked body over the limit and then a second request, through a chain
// whose writers wrap net/http's: the 413 says Connection: close and the
// second request is never answered, as with net/http's own
// MaxBytesReader. Without the close, the server would read on through the
// rest of the body and serve what follows it.
func TestBodyLimitClosesTheConnectionAfterACutBody(t *testing.T) {
	route := micro.Handler(func(r *http.Request) (any, error) {
		return micro.JSON[map[string]string](r)
	})
	chain := alice.New(middleware.RequestID(), middleware.Logger(slog.New(slog.DiscardHandler)),
		middleware.Recover(), middleware.BodyLimit(16))
	srv := httptest.NewServer(chain.Then(route))
	defer srv.Close()
	body := `{"a":"` + strings.Repeat("x", 100) + `"}`
	br := testkit.Send(t, srv, fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"+
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n", len(body), body))
	res := testkit.ReadResponse(t, br)
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 413 || !res.Close {
		t.Errorf("status %d, Connection: close %v; want 413 and close", res.StatusCode, res.Close)
	}
	if res2, err := http.ReadResponse(br, nil); err == nil {
		t.Errorf("the request after the cut body was answered: %s", res2.Status)
	}
}

// TestBodyHelpersFollowTheChainsBodyLimit checks that the limit a server
// owner sets once, on Default or BodyLimit, is the body helpers' default:
// a 2 MiB body passes a 10 MiB chain, an explicit micro.Limit still wins,
// nested BodyLimits give the smallest, and without BodyLimit the helpers
// keep micro.DefaultLimit.
func TestBodyHelpersFollowTheChainsBodyLimit(t *testing.T) {
	size := func(opts ...micro.BodyOption) micro.Handler {
		return func(r *http.Request) (any, error) {
			b, err := micro.Buffer(r, opts...)
			return len(b), err
		}
	}
	dflt := func(limit int64) alice.Chain {
		return middleware.Default(middleware.DefaultConfig{Logger: slog.New(slog.DiscardHandler), BodyLimit: limit})
	}
	for _, tc := range []struct {
		name   string
		h      http.Handler
		size   int
		status int
		body   string
	}{
		{"a 10 MiB Default chain takes a 2 MiB body", dflt(10 << 20).Then(size()), 2 << 20, 200, "2097152"},
		{"a 10 MiB BodyLimit takes a 2 MiB body", middleware.BodyLimit(10 << 20)(size()), 2 << 20, 200, "2097152"},
		{"an explicit Limit wins over the chain's", dflt(10 << 20).Then(size(micro.Limit(1 << 10))), 1<<10 + 1, 413,
			"Body exceeded 1024 byte limit"},
		{"a smaller chain limit is the helpers' too", dflt(100).Then(size()), 101, 413, "Body exceeded 100 byte limit"},
		{"nested BodyLimits: the smallest, inner", middleware.BodyLimit(10 << 20)(middleware.BodyLimit(100)(size())), 101, 413,
			"Body exceeded 100 byte limit"},
		{"nested BodyLimits: the smallest, outer", middleware.BodyLimit(100)(middleware.BodyLimit(10 << 20)(size())), 101, 413,
			"Body exceeded 100 byte limit"},
		{"without BodyLimit the helpers keep 1 MiB", size(), 1<<20 + 1, 413, "Body exceeded 1048576 byte limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", tc.size)))
			r.ContentLength = -1 // chunked: the helper, not BodyLimit's early check, decides
			w := serve(tc.h, r)
			got := strings.TrimSpace(w.Body.String())
			if w.Code == 413 {
				got = testkit.RecordedProblem(t, w).Detail
			}
			if w.Code != tc.status || got != tc.body {
				t.Errorf("status %d, body %q; want %d, %q", w.Code, got, tc.status, tc.body)
			}
		})
	}
}

// TestBodyLimitAppliesToInflatedBodies checks that a gzip body of a few
// hundred bytes on the wire that inflates past BodyLimit's n is 413 with
// n: the helpers take the chain's limit for the inflated bytes.
func TestBodyLimitAppliesToInflatedBodies(t *testing.T) {
	var buf strings.Builder
	zw := gzip.NewWriter(&buf)
	zw.Write(make([]byte, 64<<10))
	zw.Close()
	h := middleware.BodyLimit(1 << 10)(micro.Handler(func(r *http.Request) (any, error) {
		return micro.Buffer(r)
	}))
	r := httptest.NewRequest("POST", "/", strings.NewReader(buf.String()))
	r.Header.Set("Content-Encoding", "gzip")
	w := serve(h, r)
	if p := testkit.RecordedProblem(t, w); w.Code != 413 || p.Detail != "Body exceeded 1024 byte limit" || buf.Len() > 1<<10 {
		t.Errorf("status %d, detail %q for %d bytes on the wire; want 413 at 1024", w.Code, p.Detail, buf.Len())
	}
}

// TestNestedBodyLimitsGiveTheHelpersTheSmallest checks the nesting rule
// where the wire cut cannot hide it: a gzip body well under both limits on
// the wire inflates past the smaller one, so only the helpers' limit, the
// smallest n whichever BodyLimit runs first, refuses it.
func TestNestedBodyLimitsGiveTheHelpersTheSmallest(t *testing.T) {
	var buf strings.Builder
	zw := gzip.NewWriter(&buf)
	zw.Write(make([]byte, 4<<10))
	zw.Close()
	helper := micro.Handler(func(r *http.Request) (any, error) {
		b, err := micro.Buffer(r)
		return len(b), err
	})
	small, large := middleware.BodyLimit(1<<10), middleware.BodyLimit(10<<20)
	for name, h := range map[string]http.Handler{
		"smaller inner": large(small(helper)),
		"smaller outer": small(large(helper)),
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(buf.String()))
		r.Header.Set("Content-Encoding", "gzip")
		w := serve(h, r)
		if w.Code != 413 || buf.Len() >= 1<<10 {
			t.Errorf("%s: status %d, %q for %d bytes on the wire; want 413", name, w.Code, w.Body.String(), buf.Len())
			continue
		}
		if p := testkit.RecordedProblem(t, w); p.Detail != "Body exceeded 1024 byte limit" {
			t.Errorf("%s: detail %q, want the smaller limit, 1024", name, p.Detail)
		}
	}
}

func BenchmarkBodyLimit(b *testing.B) {
	body := strings.Repeat("x", 512)
	drain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
	run := func(b *testing.B, h http.Handler) {
		sr := strings.NewReader(body)
		r := httptest.NewRequest("POST", "/", nil)
		w := &testkit.Discard{}
		b.ReportAllocs()
		for b.Loop() {
			sr.Reset(body)
			r.Body, r.ContentLength = io.NopCloser(sr), int64(len(body))
			h.ServeHTTP(w, r)
		}
	}
	b.Run("impl=bare", func(b *testing.B) { run(b, drain) })
	b.Run("impl=micro", func(b *testing.B) { run(b, middleware.BodyLimit(1<<10)(drain)) })
	b.Run("impl=nethttp", func(b *testing.B) { run(b, http.MaxBytesHandler(drain, 1<<10)) })
}
