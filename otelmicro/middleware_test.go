package otelmicro_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/otelmicro"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// recorded is a tracer provider that keeps every ended span.
type recorded struct {
	sr *tracetest.SpanRecorder
	tp *sdktrace.TracerProvider
}

// newRecorded returns a provider that samples every span and keeps it.
func newRecorded(t testing.TB) recorded {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return recorded{sr, tp}
}

// only returns the one span ended, failing the test when there are more
// or none.
func (rec recorded) only(t testing.TB) sdktrace.ReadOnlySpan {
	t.Helper()
	spans := rec.sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans ended, want 1", len(spans))
	}
	return spans[0]
}

// attrs returns a span's attributes as a map of their emitted values.
func attrs(s sdktrace.ReadOnlySpan) map[string]any {
	m := map[string]any{}
	for _, a := range s.Attributes() {
		m[string(a.Key)] = a.Value.AsInterface()
	}
	return m
}

// wellFormed is a valid W3C traceparent: its trace and parent span IDs.
const (
	traceID      = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentSpanID = "00f067aa0ba902b7"
	wellFormed   = "00-" + traceID + "-" + parentSpanID + "-01"
)

func TestMiddlewareContinuesTheCallersTrace(t *testing.T) {
	tests := []struct {
		name        string
		traceparent []string
		wantParent  bool
	}{
		{"a valid traceparent is the parent", []string{wellFormed}, true},
		{"no traceparent starts a root", nil, false},
		{"a malformed traceparent starts a root", []string{"00-" + traceID + "-" + parentSpanID + "-zz"}, false},
		{"an all-zero trace ID starts a root", []string{"00-00000000000000000000000000000000-" + parentSpanID + "-01"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorded(t)
			h := otelmicro.Middleware(otelmicro.Config{TracerProvider: rec.tp})(http.NotFoundHandler())
			r := httptest.NewRequest("GET", "/", nil)
			r.Header["Traceparent"] = tt.traceparent
			h.ServeHTTP(httptest.NewRecorder(), r)
			parent := rec.only(t).Parent()
			if !tt.wantParent {
				if parent.IsValid() {
					t.Fatalf("parent %v, want none", parent)
				}
				return
			}
			if got := parent.TraceID().String(); got != traceID {
				t.Errorf("trace ID %s, want %s", got, traceID)
			}
			if got := parent.SpanID().String(); got != parentSpanID {
				t.Errorf("parent span ID %s, want %s", got, parentSpanID)
			}
			if !parent.IsRemote() {
				t.Error("parent is not remote")
			}
		})
	}
}

// spanWant is what a test expects of a span.
type spanWant struct {
	name   string
	status codes.Code
	attrs  map[string]any
	// events are the names and attributes of the span's events.
	events []eventWant
}

// eventWant is a span event's name and attributes.
type eventWant struct {
	Name  string
	Attrs map[string]any
}

// got returns what the span is, in the terms of spanWant.
func got(s sdktrace.ReadOnlySpan) spanWant {
	w := spanWant{name: s.Name(), status: s.Status().Code, attrs: attrs(s)}
	for _, e := range s.Events() {
		ev := eventWant{Name: e.Name, Attrs: map[string]any{}}
		for _, a := range e.Attributes {
			ev.Attrs[string(a.Key)] = a.Value.AsInterface()
		}
		w.events = append(w.events, ev)
	}
	return w
}

// baseAttrs are the request's attributes every span of newRequest has,
// with the response's extra.
func baseAttrs(method string, extra map[string]any) map[string]any {
	m := map[string]any{
		"http.request.method":      method,
		"url.path":                 "/api/comments/7",
		"url.scheme":               "http",
		"server.address":           "example.com",
		"network.protocol.version": "1.1",
		"user_agent.original":      "test/1.0",
		"client.address":           "192.0.2.1",
		"http.request.body.size":   int64(0),
		"http.response.body.size":  int64(0),
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

// afterLogger is h behind Logger, which logs each request's line (and a
// 5xx's cause) to nowhere, before Middleware(cfg).
func afterLogger(cfg otelmicro.Config, h http.Handler) http.Handler {
	return middleware.Logger(slog.New(slog.DiscardHandler))(otelmicro.Middleware(cfg)(h))
}

// commentsMux is a ServeMux with GET /api/comments/{id}, whose handler does
// what the query's "do" says.
func commentsMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(r *http.Request) (any, error) {
		switch r.URL.Query().Get("do") {
		case "fail":
			return nil, errors.New("db: password=hunter2 rejected")
		case "wait":
			<-r.Context().Done()
			return nil, r.Context().Err()
		case "bad":
			return nil, micro.Errorf(http.StatusBadRequest, "bad id")
		case "panic":
			panic("boom")
		case "stream":
			return micro.Stream(func(yield func(int) bool) {
				for i := range 3 {
					if !yield(i) {
						return
					}
				}
			}), nil
		}
		return map[string]string{"id": r.PathValue("id")}, nil
	}))
	mux.HandleFunc("POST /api/comments/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// commentBody is the body of the requests of the table tests.
const commentBody = `{"comment":"Nice post"}`

func TestMiddlewareSpanNameAndAttributes(t *testing.T) {
	tests := []struct {
		name          string
		method, query string
		want          spanWant
	}{
		{
			"a ServeMux route is named by its pattern", "GET", "",
			spanWant{name: "GET /api/comments/{id}", attrs: baseAttrs("GET", map[string]any{
				"http.route": "/api/comments/{id}", "http.response.status_code": int64(200),
			})},
		},
		{
			"a 4xx is no error", "GET", "?do=bad",
			spanWant{name: "GET /api/comments/{id}", attrs: baseAttrs("GET", map[string]any{
				"http.route": "/api/comments/{id}", "http.response.status_code": int64(400),
			})},
		},
		{
			"a 500 is an error, its cause's type recorded and not its text", "GET", "?do=fail",
			spanWant{name: "GET /api/comments/{id}", status: codes.Error, attrs: baseAttrs("GET", map[string]any{
				"http.route": "/api/comments/{id}", "http.response.status_code": int64(500), "error.type": "500",
			}), events: []eventWant{{"exception", map[string]any{"exception.type": "*errors.errorString"}}}},
		},
		{
			"a stream has its item count", "GET", "?do=stream",
			spanWant{name: "GET /api/comments/{id}", attrs: baseAttrs("GET", map[string]any{
				"http.route": "/api/comments/{id}", "http.response.status_code": int64(200), "micro.stream.items": int64(3),
			})},
		},
		{
			"HEAD on a GET route is named by its method", "HEAD", "",
			spanWant{name: "HEAD /api/comments/{id}", attrs: baseAttrs("HEAD", map[string]any{
				"http.route": "/api/comments/{id}", "http.response.status_code": int64(200),
			})},
		},
		{
			"the request body bytes the handler read are counted", "POST", "",
			spanWant{name: "POST /api/comments/{id}", attrs: baseAttrs("POST", map[string]any{
				"http.route": "/api/comments/{id}", "http.response.status_code": int64(204), "http.request.body.size": int64(len(commentBody)),
			})},
		},
		{
			"a method the mux does not allow is a 405 without a route", "PUT", "",
			spanWant{name: "PUT", attrs: baseAttrs("PUT", map[string]any{
				"http.response.status_code": int64(405),
			})},
		},
		{
			"an unknown method is _OTHER, named HTTP", "PURGE", "",
			spanWant{name: "HTTP", attrs: baseAttrs("_OTHER", map[string]any{
				"http.request.method_original": "PURGE", "http.response.status_code": int64(405),
			})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorded(t)
			h := afterLogger(otelmicro.Config{TracerProvider: rec.tp}, commentsMux())
			r := httptest.NewRequest(tt.method, "http://example.com/api/comments/7"+tt.query, strings.NewReader(commentBody))
			r.Header.Set("User-Agent", "test/1.0")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if tt.method != "HEAD" {
				// the bytes sent; a HEAD response's body is not
				tt.want.attrs["http.response.body.size"] = int64(w.Body.Len())
			}
			s := rec.only(t)
			if diff := cmp.Diff(tt.want, got(s), cmp.AllowUnexported(spanWant{})); diff != "" {
				t.Errorf("span (-want +got):\n%s", diff)
			}
			if s.SpanKind() != trace.SpanKindServer {
				t.Errorf("kind %v, want server", s.SpanKind())
			}
		})
	}
}

func TestMiddlewareUnmatchedIsNamedByItsMethodAlone(t *testing.T) {
	rec := newRecorded(t)
	h := afterLogger(otelmicro.Config{TracerProvider: rec.tp}, commentsMux())
	r := httptest.NewRequest("GET", "http://example.com:8080/nowhere", nil)
	h.ServeHTTP(httptest.NewRecorder(), r)
	want := spanWant{name: "GET", attrs: baseAttrs("GET", map[string]any{
		"url.path": "/nowhere", "server.port": int64(8080), "user_agent.original": nil,
		"http.response.status_code": int64(404), "http.response.body.size": int64(19),
	})}
	if diff := cmp.Diff(want, got(rec.only(t)), cmp.AllowUnexported(spanWant{})); diff != "" {
		t.Errorf("span (-want +got):\n%s", diff)
	}
}

func TestMiddlewareRecordsAPanicAndLetsItGoOn(t *testing.T) {
	rec := newRecorded(t)
	h := otelmicro.Middleware(otelmicro.Config{TracerProvider: rec.tp})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	p := testkit.Recover(func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://example.com/api/comments/7", nil))
	})
	if p != "boom" {
		t.Fatalf("panic %v, want boom to go on", p)
	}
	want := spanWant{name: "GET", status: codes.Error, attrs: baseAttrs("GET", map[string]any{
		"user_agent.original": nil, "http.response.status_code": int64(500), "error.type": "500",
	}), events: []eventWant{{"exception", map[string]any{"exception.type": "panic"}}}}
	if diff := cmp.Diff(want, got(rec.only(t)), cmp.AllowUnexported(spanWant{})); diff != "" {
		t.Errorf("span (-want +got):\n%s", diff)
	}
}

func TestMiddlewareRecordCauseText(t *testing.T) {
	tests := []struct {
		name, query string
		message     string
		stack       bool
	}{
		{"an error's text", "?do=fail", "db: password=hunter2 rejected", false},
		{"a panic's text and stack", "?do=panic", "panic: boom", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorded(t)
			h := afterLogger(otelmicro.Config{TracerProvider: rec.tp, RecordCauseText: true}, commentsMux())
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/comments/7"+tt.query, nil))
			events := rec.only(t).Events()
			if len(events) != 1 || events[0].Name != "exception" {
				t.Fatalf("events %v, want one exception", events)
			}
			ev := map[attribute.Key]string{}
			for _, a := range events[0].Attributes {
				ev[a.Key] = a.Value.AsString()
			}
			if got := ev["exception.message"]; got != tt.message {
				t.Errorf("exception.message %q, want %q", got, tt.message)
			}
			stack := ev["exception.stacktrace"]
			if tt.stack && !strings.Contains(stack, "commentsMux") {
				t.Errorf("exception.stacktrace does not name the panicking function:\n%s", stack)
			}
			if !tt.stack && stack != "" {
				t.Errorf("exception.stacktrace %q for an error that is no panic", stack)
			}
		})
	}
}

func TestMiddlewareClientGoneIsNoError(t *testing.T) {
	rec := newRecorded(t)
	h := afterLogger(otelmicro.Config{TracerProvider: rec.tp}, commentsMux())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, "GET", "http://example.com/api/comments/7?do=wait", nil)
	r.Header.Set("User-Agent", "test/1.0")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	want := spanWant{name: "GET /api/comments/{id}", attrs: baseAttrs("GET", map[string]any{
		"http.route": "/api/comments/{id}", "http.response.status_code": int64(499), "micro.client_gone": true,
		"http.response.body.size": int64(w.Body.Len()),
	})}
	if diff := cmp.Diff(want, got(rec.only(t)), cmp.AllowUnexported(spanWant{})); diff != "" {
		t.Errorf("span (-want +got):\n%s", diff)
	}
}

func TestMiddlewarePutsTheSpanInTheHandlersContext(t *testing.T) {
	rec := newRecorded(t)
	var child trace.SpanContext
	h := otelmicro.Middleware(otelmicro.Config{TracerProvider: rec.tp})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, span := rec.tp.Tracer("handler").Start(r.Context(), "query")
		child = span.SpanContext()
		span.End()
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Traceparent", wellFormed)
	h.ServeHTTP(httptest.NewRecorder(), r)
	spans := rec.sr.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans ended, want the handler's and the server's", len(spans))
	}
	query, server := spans[0], spans[1]
	if query.SpanContext().SpanID() != child.SpanID() || server.SpanKind() != trace.SpanKindServer {
		t.Fatalf("spans ended in the wrong order: %q then %q", query.Name(), server.Name())
	}
	if query.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("the handler's span has parent %s, want the server span %s", query.Parent().SpanID(), server.SpanContext().SpanID())
	}
	if query.SpanContext().TraceID().String() != traceID {
		t.Errorf("the handler's span is in trace %s, want the caller's %s", query.SpanContext().TraceID(), traceID)
	}
}

func TestMiddlewareWithoutASpan(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(tp trace.TracerProvider) otelmicro.Config
		// wantSpan is whether the handler's context holds a valid span.
		wantSpan bool
	}{
		{"a Filter that says false leaves the request alone", func(tp trace.TracerProvider) otelmicro.Config {
			return otelmicro.Config{TracerProvider: tp, Filter: func(r *http.Request) bool { return r.URL.Path != "/healthz" }}
		}, false},
		{"a sampled-out span still propagates the trace", func(trace.TracerProvider) otelmicro.Config {
			sr := tracetest.NewSpanRecorder()
			return otelmicro.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr), sdktrace.WithSampler(sdktrace.NeverSample()))}
		}, true},
		{"propagators without trace context read no parent", func(tp trace.TracerProvider) otelmicro.Config {
			return otelmicro.Config{TracerProvider: tp, Propagators: propagation.Baggage{}, Filter: func(*http.Request) bool { return false }}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorded(t)
			var sc trace.SpanContext
			h := otelmicro.Middleware(tt.cfg(rec.tp))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sc = trace.SpanContextFromContext(r.Context())
			}))
			r := httptest.NewRequest("GET", "/healthz", nil)
			r.Header.Set("Traceparent", wellFormed)
			h.ServeHTTP(httptest.NewRecorder(), r)
			if n := len(rec.sr.Ended()); n != 0 {
				t.Errorf("%d spans recorded, want none", n)
			}
			if sc.IsValid() != tt.wantSpan {
				t.Errorf("span in the handler's context: %v, want %v", sc.IsValid(), tt.wantSpan)
			}
			if tt.wantSpan && sc.TraceID().String() != traceID {
				t.Errorf("trace %s, want the caller's %s", sc.TraceID(), traceID)
			}
		})
	}
}

func TestMiddlewareSpanLastsAsLongAsTheRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorded(t)
		h := otelmicro.Middleware(otelmicro.Config{TracerProvider: rec.tp})(micro.Handler(func(r *http.Request) (any, error) {
			return micro.Stream(func(yield func(int) bool) {
				for i := range 4 {
					time.Sleep(time.Second)
					if !yield(i) {
						return
					}
				}
			}), nil
		}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/ticks", nil))
		s := rec.only(t)
		if d := s.EndTime().Sub(s.StartTime()); d != 4*time.Second {
			t.Errorf("span lasted %v, want the stream's 4s", d)
		}
		if got := attrs(s)["micro.stream.items"]; got != int64(4) {
			t.Errorf("micro.stream.items %v, want 4", got)
		}
	})
}
