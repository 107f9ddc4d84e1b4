package otelmicro_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/otelmicro"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it accepts protobuf
// ExportTraceServiceRequests, gzipped or not, on POST /v1/traces and keeps
// them. Anything else is refused with a 4xx and fails the test.
type otlpReceiver struct {
	t    testing.TB
	mu   sync.Mutex
	reqs []*collectortrace.ExportTraceServiceRequest
}

// ServeHTTP decodes and keeps one export request.
func (rc *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		rc.t.Errorf("receiver got %s %s, want POST /v1/traces", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		rc.t.Errorf("receiver got Content-Type %q, want application/x-protobuf", ct)
		http.Error(w, "unsupported content type", http.StatusUnsupportedMediaType)
		return
	}
	body := io.Reader(r.Body)
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			rc.t.Errorf("receiver: gzip: %v", err)
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		defer zr.Close()
		body = zr
	default:
		rc.t.Errorf("receiver got Content-Encoding %q", enc)
		http.Error(w, "unsupported encoding", http.StatusUnsupportedMediaType)
		return
	}
	b, err := io.ReadAll(body)
	if err != nil {
		rc.t.Errorf("receiver: reading the body: %v", err)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	req := &collectortrace.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(b, req); err != nil {
		rc.t.Errorf("receiver: decoding ExportTraceServiceRequest: %v", err)
		http.Error(w, "bad protobuf", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, req)
	rc.mu.Unlock()
	resp, err := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	if err != nil {
		rc.t.Errorf("receiver: encoding the response: %v", err)
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// exported is one span as the receiver decoded it, with its resource and
// scope.
type exported struct {
	resource map[string]any
	scope    *commonpb.InstrumentationScope
	schema   string
	span     *tracepb.Span
}

// spans returns every span the receiver got, in the order they came.
func (rc *otlpReceiver) spans() []exported {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []exported
	for _, req := range rc.reqs {
		for _, rs := range req.GetResourceSpans() {
			res := otlpAttrs(rs.GetResource().GetAttributes())
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					out = append(out, exported{res, ss.GetScope(), ss.GetSchemaUrl(), s})
				}
			}
		}
	}
	return out
}

// otlpAttrs returns OTLP attributes as a map of their string, int, bool
// or double values.
func otlpAttrs(kvs []*commonpb.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = v.IntValue
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = v.BoolValue
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = v.DoubleValue
		default:
			m[kv.GetKey()] = v
		}
	}
	return m
}

// otlpSpan is what the test compares of an exported span.
type otlpSpan struct {
	Name         string
	Kind         tracepb.Span_SpanKind
	TraceID      string // "" for a new trace, not the traceparent's
	ParentSpanID string
	Status       tracepb.Status_StatusCode
	Attrs        map[string]any
	Events       []string
}

// comparedAttrs are the span attributes the test compares: those that do
// not depend on the loopback port.
var comparedAttrs = []string{
	"http.request.method", "url.path", "url.scheme", "http.route",
	"http.response.status_code", "error.type",
}

func TestMiddlewareSpansReachAnOTLPReceiver(t *testing.T) {
	rc := &otlpReceiver{t: t}
	collector := httptest.NewServer(rc)
	defer collector.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(collector.URL+"/v1/traces"),
		otlptracehttp.WithInsecure(),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
		// One try: a refused export fails ForceFlush at once instead of
		// backing off for a minute.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
	)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "comments"))),
	)
	defer func() { _ = tp.Shutdown(context.Background()) }()

	mux := http.NewServeMux()
	mux.Handle("GET /api/comments/{id}", micro.Handler(func(r *http.Request) (any, error) {
		return map[string]string{"id": r.PathValue("id")}, nil
	}))
	mux.Handle("GET /fail", micro.Handler(func(*http.Request) (any, error) {
		return nil, errors.New("db: connection refused")
	}))
	chain := middleware.Default(middleware.DefaultConfig{Logger: slog.New(slog.DiscardHandler)})
	app := httptest.NewServer(otelmicro.Middleware(otelmicro.Config{TracerProvider: tp})(chain.Then(mux)))
	defer app.Close()

	sent := []struct {
		path        string
		traceparent string
		status      int
	}{
		{"/api/comments/7", wellFormed, http.StatusOK},
		{"/nowhere", "", http.StatusNotFound},
		{"/fail", "", http.StatusInternalServerError},
	}
	for _, s := range sent {
		r, err := http.NewRequestWithContext(ctx, "GET", app.URL+s.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.traceparent != "" {
			r.Header.Set("Traceparent", s.traceparent)
		}
		if res := testkit.Do(t, app.Client(), r); res.Status != s.status {
			t.Fatalf("GET %s: status %d, want %d", s.path, res.Status, s.status)
		}
	}
	// Close waits for the handlers, so every span has ended.
	app.Close()
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	var got []otlpSpan
	newTraces := map[string]bool{}
	for _, e := range rc.spans() {
		if diff := cmp.Diff(map[string]any{"service.name": "comments"}, e.resource); diff != "" {
			t.Errorf("span %q: resource (-want +got):\n%s", e.span.GetName(), diff)
		}
		if name := e.scope.GetName(); name != otelmicro.ScopeName {
			t.Errorf("span %q: scope %q, want %q", e.span.GetName(), name, otelmicro.ScopeName)
		}
		if e.schema != semconv.SchemaURL {
			t.Errorf("span %q: scope schema %q, want %q", e.span.GetName(), e.schema, semconv.SchemaURL)
		}
		s := e.span
		if len(s.GetSpanId()) != 8 || len(s.GetTraceId()) != 16 {
			t.Errorf("span %q: span ID %x, trace ID %x: wrong lengths", s.GetName(), s.GetSpanId(), s.GetTraceId())
		}
		all := otlpAttrs(s.GetAttributes())
		attrs := map[string]any{}
		for _, k := range comparedAttrs {
			if v, ok := all[k]; ok {
				attrs[k] = v
			}
		}
		traceHex := hex.EncodeToString(s.GetTraceId())
		if traceHex != traceID {
			// A request without a traceparent is the root of a new trace.
			if newTraces[traceHex] || strings.Trim(traceHex, "0") == "" {
				t.Errorf("span %q: trace ID %s, want a new one", s.GetName(), traceHex)
			}
			newTraces[traceHex] = true
			traceHex = ""
		}
		var events []string
		for _, ev := range s.GetEvents() {
			events = append(events, ev.GetName()+" "+strings.Join(sortedPairs(otlpAttrs(ev.GetAttributes())), " "))
		}
		got = append(got, otlpSpan{
			Name:         s.GetName(),
			Kind:         s.GetKind(),
			TraceID:      traceHex,
			ParentSpanID: hex.EncodeToString(s.GetParentSpanId()),
			Status:       s.GetStatus().GetCode(),
			Attrs:        attrs,
			Events:       events,
		})
	}
	want := []otlpSpan{
		{
			Name: "GET", Kind: tracepb.Span_SPAN_KIND_SERVER, Status: tracepb.Status_STATUS_CODE_UNSET,
			Attrs: map[string]any{
				"http.request.method": "GET", "url.path": "/nowhere", "url.scheme": "http",
				"http.response.status_code": int64(404),
			},
		},
		{
			Name: "GET /api/comments/{id}", Kind: tracepb.Span_SPAN_KIND_SERVER,
			TraceID: traceID, ParentSpanID: parentSpanID, Status: tracepb.Status_STATUS_CODE_UNSET,
			Attrs: map[string]any{
				"http.request.method": "GET", "url.path": "/api/comments/7", "url.scheme": "http",
				"http.route": "/api/comments/{id}", "http.response.status_code": int64(200),
			},
		},
		{
			Name: "GET /fail", Kind: tracepb.Span_SPAN_KIND_SERVER, Status: tracepb.Status_STATUS_CODE_ERROR,
			Attrs: map[string]any{
				"http.request.method": "GET", "url.path": "/fail", "url.scheme": "http",
				"http.route": "/fail", "http.response.status_code": int64(500), "error.type": "500",
			},
			Events: []string{"exception exception.type=*errors.errorString"},
		},
	}
	// The batch exports spans in the order they ended, which the
	// requests' order does not fix.
	slices.SortFunc(got, func(a, b otlpSpan) int { return strings.Compare(a.Name, b.Name) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exported spans (-want +got):\n%s", diff)
	}
}

// sortedPairs returns m as sorted "key=value" strings.
func sortedPairs(m map[string]any) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%v", k, v))
	}
	slices.Sort(out)
	return out
}
