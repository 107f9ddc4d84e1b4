package send_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

// panicStream yields n items, then panics with v.
func panicStream(n int, v any) *send.Stream {
	return &send.Stream{Heartbeat: -1, Items: func(_ context.Context, yield func(any, error) bool) {
		for i := range n {
			if !yield(i, nil) {
				return
			}
		}
		panic(v)
	}}
}

func TestStreamProducerPanicIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name, accept string
		items        int
		status       int
		body         string
	}{
		{"before the first item: a 500 problem", "", 0, 500,
			`{"type":"about:blank","title":"Internal Server Error","status":500}`},
		{"after it, NDJSON: an error line", "", 2, 200,
			"0\n1\n" + `{"error":{"type":"about:blank","title":"Internal Server Error","status":500}}` + "\n"},
		{"after it, SSE: an error event", "text/event-stream", 1, 200,
			"data: 0\n\nevent: error\ndata: " + `{"type":"about:blank","title":"Internal Server Error","status":500}` + "\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := middleware.ErrorLogger(slog.New(slog.NewJSONHandler(&logs, nil)))(panicStream(tc.items, "secret state"))
			r := httptest.NewRequest("GET", "/", nil)
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status || w.Body.String() != tc.body {
				t.Errorf("%d %q\nwant %d %q", w.Code, w.Body, tc.status, tc.body)
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("log %q: %v", logs.String(), err)
			}
			if line["error"] != "send: panic in a stream's producer: secret state" ||
				!strings.Contains(line["stack"].(string), "stream_panic_test.go") {
				t.Errorf("log line %v", line)
			}
		})
	}
}

func TestStreamProducerErrAbortHandlerIsPanickedAgain(t *testing.T) {
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	panicStream(1, http.ErrAbortHandler).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("ServeHTTP returned")
}
