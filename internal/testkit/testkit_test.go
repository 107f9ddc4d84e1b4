package testkit_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/microkit-go/micro/internal/testkit"
)

func TestLogKeepsWhatTheLoggerWrote(t *testing.T) {
	var log testkit.Log
	log.JSONLogger(slog.LevelDebug).Debug("one", "n", 1)
	log.JSONLogger(slog.LevelInfo).Debug("dropped")
	log.TextLogger(slog.LevelInfo).Info("two")
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"msg":"one","n":1`) || !strings.Contains(lines[1], "msg=two") {
		t.Errorf("log %q, want the JSON line of one, then the text line of two", log.String())
	}
}

func TestJSONLinesSkipsEmptyLines(t *testing.T) {
	got := testkit.JSONLines[map[string]int](t, "{\"a\":1}\n\n {\"b\":2}\n")
	if diff := cmp.Diff([]map[string]int{{"a": 1}, {"b": 2}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiscardCountsAndResets(t *testing.T) {
	w := &testkit.Discard{}
	w.Header().Set("X", "1")
	w.WriteHeader(201)
	_, _ = w.Write([]byte("abc"))
	w.Flush()
	if w.Status != 201 || w.Bytes != 3 || w.Flushes != 1 || w.Header().Get("X") != "1" {
		t.Errorf("Discard %+v, header %v; want 201, 3 bytes, 1 flush, X: 1", w, w.Header())
	}
	w.Reset()
	if w.Status != 0 || w.Bytes != 0 || w.Flushes != 0 || len(w.Header()) != 0 {
		t.Errorf("after Reset: %+v, header %v; want all zero", w, w.Header())
	}
}

func TestProblemDecodesTheBody(t *testing.T) {
	header := http.Header{"Content-Type": {"application/problem+json"}}
	body := []byte(`{"type":"about:blank","title":"Not Found","status":404,"detail":"gone"}`)
	want := testkit.ProblemBody{Type: "about:blank", Title: "Not Found", Status: 404, Detail: "gone"}
	if diff := cmp.Diff(want, testkit.Problem(t, header, body)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFetchReadsTheWholeResponse(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Method+" "+r.Header.Get("Accept"))
		w.WriteHeader(202)
		_, _ = w.Write([]byte("body"))
	})
	got := testkit.Fetch(t, h, "PUT", "Accept", "text/plain")
	if got.Status != 202 || got.Body != "body" || got.Header.Get("X-Echo") != "PUT text/plain" {
		t.Errorf("Fetch = %d %q, X-Echo %q; want 202 \"body\", \"PUT text/plain\"", got.Status, got.Body, got.Header.Get("X-Echo"))
	}
}

func TestSendWritesTheBytesAsTheyAre(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Target", r.RequestURI)
	}))
	defer srv.Close()
	br := testkit.Send(t, srv, "GET /a%2Fb HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, want := range []string{"/a%2Fb", "/c"} {
		res := testkit.ReadResponse(t, br)
		res.Body.Close()
		if got := res.Header.Get("X-Target"); res.StatusCode != 200 || got != want {
			t.Errorf("status %d, target %q, want 200 and %q", res.StatusCode, got, want)
		}
	}
}

func TestCountingReaderCounts(t *testing.T) {
	c := &testkit.CountingReader{R: strings.NewReader("12345")}
	buf := make([]byte, 3)
	_, _ = c.Read(buf)
	_, _ = c.Read(buf)
	if c.N() != 5 {
		t.Errorf("N = %d, want 5", c.N())
	}
}

func TestRecoverReturnsThePanicValue(t *testing.T) {
	if v := testkit.Recover(func() { panic("boom") }); v != "boom" {
		t.Errorf("Recover = %v, want boom", v)
	}
	if v := testkit.Recover(func() {}); v != nil {
		t.Errorf("Recover of a normal return = %v, want nil", v)
	}
}

func TestWaitClosedReturnsOnceClosed(t *testing.T) {
	ch := make(chan struct{})
	close(ch)
	testkit.WaitClosed(t, ch, testkit.Patience, "a closed channel")
}
