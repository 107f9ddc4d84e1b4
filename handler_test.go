package micro_test

import (
	"errors"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestHandlerReturnValues(t *testing.T) {
	type post struct{ Title string }
	expectEach(t, []expectCase[micro.Handler]{
		{"a typed nil pointer is JSON null, not 204",
			func(*http.Request) (any, error) { return (*post)(nil), nil },
			resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: "null"}},
		{"an empty slice is []",
			func(*http.Request) (any, error) { return []post{}, nil },
			resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: "[]"}},
		{"HTML characters are not escaped",
			func(*http.Request) (any, error) { return post{"<b>&</b>"}, nil },
			resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: `{"Title":"<b>&</b>"}`}},
		{"an error returned as the value is a problem",
			func(*http.Request) (any, error) { return micro.Errorf(418, "teapot"), nil },
			problemResp(418, "I'm a teapot", "teapot")},
		{"an error wins over a value",
			func(*http.Request) (any, error) { return "ignored", micro.Errorf(400, "bad") },
			problemResp(400, "Bad Request", "bad")},
	})
}

func TestHandlerRepanicsErrAbortHandler(t *testing.T) {
	h := micro.Handler(func(*http.Request) (any, error) { panic(http.ErrAbortHandler) })
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("ServeHTTP returned normally")
}

// logLines serves h behind middleware.ErrorLogger and returns the JSON log lines.
func logLines(t *testing.T, h http.Handler, r *http.Request) []map[string]any {
	t.Helper()
	var log testkit.Log
	middleware.ErrorLogger(log.JSONLogger(slog.LevelDebug))(h).ServeHTTP(httptest.NewRecorder(), r)
	lines := log.Lines(t)
	for _, m := range lines {
		delete(m, "time")
	}
	return lines
}

func TestHandlerLogsPanicOnceWithStack(t *testing.T) {
	boom := errors.New("boom")
	lines := logLines(t, micro.Handler(func(*http.Request) (any, error) { panic(boom) }),
		httptest.NewRequest("PUT", "/api/x", nil))
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1: %v", len(lines), lines)
	}
	stack, _ := lines[0]["stack"].(string)
	if !strings.Contains(stack, "handler_test.go") {
		t.Errorf("stack does not show the panicking function:\n%s", stack)
	}
	delete(lines[0], "stack")
	want := map[string]any{"level": "ERROR", "msg": "unhandled error", "method": "PUT", "path": "/api/x",
		"route": "unmatched", "status": 500.0, "error": "panic: boom"}
	if diff := cmp.Diff(want, lines[0]); diff != "" {
		t.Errorf("log line (-want +got):\n%s", diff)
	}
}

func TestHandlerDoesNotLogPublicErrors(t *testing.T) {
	lines := logLines(t, micro.Handler(func(*http.Request) (any, error) { return nil, micro.Errorf(404, "nope") }),
		httptest.NewRequest("GET", "/", nil))
	if len(lines) != 0 {
		t.Errorf("a 4xx the route chose was logged: %v", lines)
	}
}

func TestHandlerLogsPublic5xx(t *testing.T) {
	lines := logLines(t, micro.Handler(func(*http.Request) (any, error) {
		return nil, micro.Errorf(503, "down for maintenance")
	}), httptest.NewRequest("GET", "/", nil))
	if len(lines) != 1 || lines[0]["status"] != 503.0 || lines[0]["error"] != "down for maintenance" {
		t.Errorf("log lines %v; want one with status 503 and the error", lines)
	}
}

// TestHandlerHandsPanicToReportingMiddleware checks that a panic reaches an
// access-log middleware as the 5xx cause, and that errors.Is sees the
// panicked error through it.
func TestHandlerHandsPanicToReportingMiddleware(t *testing.T) {
	boom := errors.New("boom")
	r, st := state.Attach(httptest.NewRequest("GET", "/", nil))
	st.Log.Reporting = true
	w := httptest.NewRecorder()
	micro.Handler(func(*http.Request) (any, error) { panic(boom) }).ServeHTTP(w, r)
	if w.Code != 500 || !errors.Is(st.Log.Cause, boom) {
		t.Errorf("status %d, cause %v; want 500 and a cause that is boom", w.Code, st.Log.Cause)
	}
}

// TestUnwrappedIteratorsGetAHint checks that a route returning an iterator
// or a channel without micro.Stream gets a 500 whose logged cause says how
// to stream it.
func TestUnwrappedIteratorsGetAHint(t *testing.T) {
	var seq iter.Seq[int] = func(yield func(int) bool) { yield(1) }
	for name, tc := range map[string]struct {
		v    any
		hint string
	}{
		"iter.Seq":  {seq, "micro.Stream(seq)"},
		"channel":   {make(<-chan int), "micro.StreamChan(ch)"},
		"bare func": {func() {}, "micro.Stream(seq)"},
	} {
		t.Run(name, func(t *testing.T) {
			h := micro.Handler(func(r *http.Request) (any, error) { return tc.v, nil })
			lines := logLines(t, h, httptest.NewRequest("GET", "/", nil))
			if len(lines) != 1 || lines[0]["status"] != 500.0 || !strings.Contains(lines[0]["error"].(string), tc.hint) {
				t.Errorf("log lines %v, want one 500 whose error mentions %s", lines, tc.hint)
			}
		})
	}
}
