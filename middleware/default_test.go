package middleware_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestDefaultPanicsWithoutALogger(t *testing.T) {
	if testkit.Recover(func() { middleware.Default(middleware.DefaultConfig{}) }) == nil {
		t.Error("Default without a Logger did not panic")
	}
}

func TestDefaultBodyLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int64
		size  int
		want  int
	}{
		{"zero means 1 MiB: 1 MiB passes", 0, 1 << 20, 200},
		{"zero means 1 MiB: one byte more is 413", 0, 1<<20 + 1, 413},
		{"a set limit", 10, 11, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := middleware.Default(middleware.DefaultConfig{
				Logger:    slog.New(slog.DiscardHandler),
				BodyLimit: tc.limit,
			}).Then(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					http.Error(w, "", http.StatusRequestEntityTooLarge)
				}
			}))
			w := serve(h, httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", tc.size))))
			if w.Code != tc.want {
				t.Errorf("status %d, want %d", w.Code, tc.want)
			}
		})
	}
}

// TestDefaultOrder checks the consequences of the order Default documents.
func TestDefaultOrder(t *testing.T) {
	var logs testkit.Log
	h := middleware.Default(middleware.DefaultConfig{
		Logger: logs.JSONLogger(slog.LevelDebug),
		CORS:   &middleware.CORSConfig{AllowedOrigins: []string{"https://app.example.com"}},
	}).Then(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("route bug")
	}))

	// A panic deep in the chain: a 500 problem that still carries the
	// request ID and the CORS headers (so the page can read it), and one
	// ERROR line with the request ID and the panic.
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("X-Request-ID", "order-1")
	r.Header.Set("Accept-Encoding", "gzip")
	w := serve(h, r)
	if p := testkit.RecordedProblem(t, w); p.Status != 500 || w.Header().Get("X-Request-ID") != "order-1" ||
		w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("status %d, headers %v", w.Code, w.Header())
	}
	lines := logs.Lines(t)
	if len(lines) != 1 || lines[0]["request_id"] != "order-1" || lines[0]["error"] != "panic: route bug" {
		t.Errorf("log lines %v", lines)
	}

	// Without CORS configured, no CORS headers at all.
	plain := middleware.Default(middleware.DefaultConfig{Logger: slog.New(slog.DiscardHandler)}).Then(ok)
	if w := serve(plain, r); w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") == "Origin" {
		t.Errorf("CORS headers without CORS configured: %v", w.Header())
	}
}

// TestDefaultRefusesCrossSiteWrites: the recommended chain refuses a
// browser's cross-site write, whatever its Content-Type (a sendBeacon or a
// no-cors fetch of a Blob sends none, with the cookies and no preflight),
// and lets through same-origin pages, the CORS config's allowed origins
// and clients that are not browsers.
func TestDefaultRefusesCrossSiteWrites(t *testing.T) {
	stored := 0
	route := micro.Handler(func(r *http.Request) (any, error) {
		c, err := micro.JSON[struct{ Comment string }](r)
		if err != nil {
			return nil, err
		}
		stored++
		return &micro.Response{Status: http.StatusCreated, Body: c}, nil
	})
	logger := slog.New(slog.DiscardHandler)
	cors := &middleware.CORSConfig{
		AllowedOrigins:   []string{"https://app.example.com", "https://*.apps.example.org"},
		AllowedHeaders:   []string{"Content-Type"},
		AllowCredentials: true,
	}
	chains := map[string]http.Handler{
		"CORS":               middleware.Default(middleware.DefaultConfig{Logger: logger, CORS: cors}).Then(route),
		"no CORS":            middleware.Default(middleware.DefaultConfig{Logger: logger}).Then(route),
		"CORS *":             middleware.Default(middleware.DefaultConfig{Logger: logger, CORS: &middleware.CORSConfig{AllowedOrigins: []string{"*"}}, DisableCrossOrigin: true}).Then(route),
		"DisableCrossOrigin": middleware.Default(middleware.DefaultConfig{Logger: logger, CORS: cors, DisableCrossOrigin: true}).Then(route),
	}
	beacon := []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "no-cors", "Origin", "https://evil.example", "Cookie", "session=s"}
	for _, tc := range []struct {
		name   string
		chain  string
		header []string
		want   int
	}{
		{"cross-site beacon without Content-Type is 403", "CORS", beacon, 403},
		{"cross-site beacon without CORS configured is 403", "no CORS", beacon, 403},
		{`cross-site POST under CORS "*" with DisableCrossOrigin passes`, "CORS *", beacon, 201},
		{"cross-site text/plain POST is 403", "CORS", append(beacon, "Content-Type", "text/plain"), 403},
		{"older browser: cross-origin Origin without Sec-Fetch-Site is 403", "CORS", []string{"Origin", "https://evil.example", "Cookie", "session=s"}, 403},
		{"allowed origin's credentialed POST passes", "CORS", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://app.example.com", "Content-Type", "application/json", "Cookie", "session=s"}, 201},
		{"allowed pattern's POST passes", "CORS", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://a.apps.example.org", "Content-Type", "application/json"}, 201},
		{"same-origin page's POST passes", "CORS", []string{"Sec-Fetch-Site", "same-origin", "Origin", "https://api.example.com", "Cookie", "session=s"}, 201},
		{"older browser: same-origin Origin passes", "no CORS", []string{"Origin", "http://api.example.com"}, 201},
		{"non-browser client (curl, http.Client) passes", "CORS", nil, 201},
		{"DisableCrossOrigin lets the beacon through", "DisableCrossOrigin", beacon, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := stored
			r := httptest.NewRequest("POST", "http://api.example.com/api/comments", strings.NewReader(`{"comment":"hi"}`))
			for i := 0; i < len(tc.header); i += 2 {
				r.Header.Set(tc.header[i], tc.header[i+1])
			}
			w := serve(chains[tc.chain], r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.want, w.Body)
			}
			if tc.want == 403 {
				if p := testkit.RecordedProblem(t, w); p.Detail != "Cross-origin request refused" || stored != before {
					t.Errorf("problem %+v, stored %d, want the CrossOrigin refusal before the route", p, stored-before)
				}
			}
		})
	}
}

// TestDefaultDisableCompress: DisableCompress leaves Compress out, so a
// large JSON body goes uncompressed to a gzip client, and the Compress
// config, unused, is not checked.
func TestDefaultDisableCompress(t *testing.T) {
	big := strings.Repeat(`{"comment":"hello"},`, 200)
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "["+big+"{}]")
	})
	for _, tc := range []struct {
		name     string
		disable  bool
		encoding string
	}{
		{"compressed by default", false, "gzip"},
		{"DisableCompress", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := middleware.Default(middleware.DefaultConfig{
				Logger:          slog.New(slog.DiscardHandler),
				DisableCompress: tc.disable,
			}).Then(route)
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", "gzip")
			w := serve(h, r)
			if got := w.Header().Get("Content-Encoding"); w.Code != 200 || got != tc.encoding {
				t.Errorf("status %d, Content-Encoding %q; want 200, %q", w.Code, got, tc.encoding)
			}
		})
	}
	bad := middleware.DefaultConfig{Logger: slog.New(slog.DiscardHandler), Compress: middleware.CompressConfig{MinSize: -1}}
	if bad.Validate() == nil {
		t.Error("Validate accepted a negative Compress MinSize")
	}
	bad.DisableCompress = true
	if err := bad.Validate(); err != nil {
		t.Errorf("Validate with DisableCompress = %v, want nil: Compress is not built", err)
	}
}
