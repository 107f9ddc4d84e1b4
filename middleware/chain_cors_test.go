package middleware_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	micro "github.com/microkit-go/micro"
)

func TestChainPreflightIsAnsweredBeforeTheRouteAndLoggedOnce(t *testing.T) {
	var reached atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = io.WriteString(w, "route")
	})
	e := chainStart(t, time.Minute, mux)
	res := e.do(t, e.req(t, "OPTIONS", "/api", nil,
		"Origin", chainOrigin, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "cors",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type,x-request-id"))
	if res.status != 204 || len(res.raw) != 0 {
		t.Fatalf("preflight: %d %q, want 204 and no body", res.status, res.raw)
	}
	if reached.Load() != 0 {
		t.Errorf("the preflight reached the route")
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":      chainOrigin,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, HEAD, POST, PUT, DELETE",
		"Access-Control-Allow-Headers":     "Content-Type, X-Request-Id",
		"Access-Control-Max-Age":           "3600",
	} {
		if got := res.header.Get(k); !strings.EqualFold(got, v) {
			t.Errorf("%s %q, want %q", k, got, v)
		}
	}
	if res.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-ID on the preflight")
	}
	line := chainOnly(t, e.finish(t), "/api")
	if line.Method != "OPTIONS" || line.Status != 204 || line.Level != "INFO" || line.Bytes != 0 {
		t.Errorf("log line %+v, want INFO OPTIONS 204, 0 bytes", line)
	}
}

func TestChainCrossOriginWritesPassOnlyFromTheAllowedOrigin(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("PUT /api", micro.Handler(func(r *http.Request) (any, error) { return "done", nil }))
	e := chainStart(t, time.Minute, mux)
	res := e.do(t, e.req(t, "PUT", "/api", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"))
	if res.status != 403 {
		t.Fatalf("cross-site PUT from another origin: %d, want 403", res.status)
	}
	if p := res.problem(t); p.Detail != "Cross-origin request refused" {
		t.Errorf("detail %q", p.Detail)
	}
	if res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS headers for a refused origin")
	}
	res = e.do(t, e.req(t, "PUT", "/api", nil, "Origin", chainOrigin, "Sec-Fetch-Site", "cross-site"))
	if res.status != 200 || string(res.raw) != "done" {
		t.Errorf("cross-site PUT from the allowed origin: %d %q", res.status, res.raw)
	}
	chainCORSOK(t, res.header)
	lines := e.finish(t)
	if len(lines) != 2 || lines[0].Status != 403 || lines[0].Level != "WARN" || lines[1].Status != 200 {
		t.Errorf("log lines %+v, want WARN 403 then 200", lines)
	}
}
