package middleware

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/send"
)

// corsReq is a request as a test sends it; nil slices are absent headers,
// several values are several header lines.
type corsReq struct {
	method string // "" is GET
	origin []string
	acrm   []string
	acrh   []string
}

func (q corsReq) request() *http.Request {
	m := q.method
	if m == "" {
		m = http.MethodGet
	}
	r := httptest.NewRequest(m, "/api", nil)
	for k, v := range map[string][]string{
		"Origin":                         q.origin,
		"Access-Control-Request-Method":  q.acrm,
		"Access-Control-Request-Headers": q.acrh,
	} {
		if v != nil {
			r.Header[k] = v
		}
	}
	return r
}

// corsTestServer wraps a route that counts its calls in CORS(cfg).
type corsTestServer struct {
	h     http.Handler
	calls atomic.Int64
}

func corsNewTestServer(cfg CORSConfig) *corsTestServer {
	s := &corsTestServer{}
	s.h = CORS(cfg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		_, _ = w.Write([]byte("route"))
	}))
	return s
}

func (s *corsTestServer) do(q corsReq) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, q.request())
	return w
}

// corsCheckHeaders reports, as what, the difference between want and the
// CORS headers of got: Vary and every Access-Control- header.
func corsCheckHeaders(t *testing.T, what string, want, got http.Header) {
	t.Helper()
	cors := http.Header{}
	for k, v := range got {
		if strings.HasPrefix(k, "Access-Control-") || k == "Vary" {
			cors[k] = v
		}
	}
	if diff := cmp.Diff(want, cors); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

var (
	corsVaryActual    = []string{"Origin"}
	corsVaryPreflight = []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
)

func corsOne(s string) []string { return []string{s} }

func TestCORSConfigPanics(t *testing.T) {
	ok := CORSConfig{AllowedOrigins: []string{"https://example.com"}}
	with := func(f func(*CORSConfig)) CORSConfig {
		c := ok
		f(&c)
		return c
	}
	origins := func(o ...string) CORSConfig { return with(func(c *CORSConfig) { c.AllowedOrigins = o }) }
	tests := []struct {
		name string
		cfg  CORSConfig
		want string // in the panic message
	}{
		{"no origins is not allow-all", CORSConfig{}, "AllowedOrigins is empty"},
		{"star with credentials", with(func(c *CORSConfig) { c.AllowedOrigins = []string{"*"}; c.AllowCredentials = true }), `"*" cannot be used with AllowCredentials`},
		{"star beside other origins", origins("*", "https://example.com"), `"*" must be the only origin`},
		{"null origin", origins("null"), `"null" is unsafe`},
		{"NULL origin in capitals", origins("NULL"), `"null" is unsafe`},
		{"origin without scheme", origins("example.com"), "is not \"scheme://host\""},
		{"origin with empty scheme", origins("://example.com"), "is not \"scheme://host\""},
		{"origin with digit-first scheme", origins("1http://example.com"), "is not \"scheme://host\""},
		{"origin with trailing slash", origins("https://example.com/"), "must not have a path"},
		{"origin with path", origins("https://example.com/api"), "must not have a path"},
		{"origin with query", origins("https://example.com?a=1"), "must not have a path"},
		{"origin with fragment", origins("https://example.com#x"), "must not have a path"},
		{"origin with userinfo", origins("https://user@example.com"), "must not have a path"},
		{"origin with empty host", origins("https://"), "invalid host"},
		{"origin with empty port", origins("https://example.com:"), "invalid port"},
		{"origin with port 0", origins("https://example.com:0"), "invalid port"},
		{"origin with port over 65535", origins("https://example.com:65536"), "invalid port"},
		{"origin with leading-zero port", origins("https://example.com:08443"), "invalid port"},
		{"origin with non-numeric port", origins("https://example.com:https"), "invalid port"},
		{"https origin with default port", origins("https://example.com:443"), "omit the default port 443"},
		{"http origin with default port", origins("http://example.com:80"), "omit the default port 80"},
		{"origin with trailing dot", origins("https://example.com."), "invalid host"},
		{"origin with empty label", origins("https://a..example.com"), "invalid host"},
		{"non-ASCII origin", origins("https://bücher.de"), "punycode"},
		{"origin with space", origins("https://exa mple.com"), "invalid host"},
		{"unclosed IPv6", origins("https://[::1"), "unclosed IPv6"},
		{"IPv6 with zone", origins("http://[fe80::1%25eth0]"), "invalid IPv6"},
		{"IPv4 in brackets", origins("http://[127.0.0.1]"), "invalid IPv6"},
		{"IPv6 not as browsers write it", origins("http://[0:0::1]:8080"), "as browsers do: [::1]"},
		{"star inside a label", origins("https://*example.com"), `"*" that is not the whole first label`},
		{"star as a middle label", origins("https://a.*.example.com"), `"*" that is not the whole first label`},
		{"two star labels", origins("https://*.*.example.com"), `"*" that is not the whole first label`},
		{"star as last label", origins("https://example.*"), `"*" that is not the whole first label`},
		{"star as scheme", origins("*://example.com"), `"*" that is not the whole first label`},
		{"star as port", origins("https://example.com:*"), `"*" that is not the whole first label`},
		{"pattern over a top-level domain", origins("https://*.com"), "whole top-level domain"},
		{"pattern with default port", origins("https://*.example.com:443"), "omit the default port"},
		{"method not a token", with(func(c *CORSConfig) { c.AllowedMethods = []string{"GE T"} }), `AllowedMethods entry "GE T" is not an HTTP token`},
		{"empty method", with(func(c *CORSConfig) { c.AllowedMethods = []string{""} }), `AllowedMethods entry "" is not an HTTP token`},
		{"any method with credentials", with(func(c *CORSConfig) { c.AllowedMethods = []string{"*"}; c.AllowCredentials = true }), `AllowedMethods "*" cannot be used with AllowCredentials`},
		{"header not a token", with(func(c *CORSConfig) { c.AllowedHeaders = []string{"X-A:"} }), `AllowedHeaders entry "X-A:" is not an HTTP token`},
		{"header list in one entry", with(func(c *CORSConfig) { c.AllowedHeaders = []string{"X-A, X-B"} }), "is not an HTTP token"},
		{"any header with credentials", with(func(c *CORSConfig) { c.AllowedHeaders = []string{"*"}; c.AllowCredentials = true }), `AllowedHeaders "*" cannot be used with AllowCredentials`},
		{"exposed header not a token", with(func(c *CORSConfig) { c.ExposedHeaders = []string{"X A"} }), `ExposedHeaders entry "X A" is not an HTTP token`},
		{"expose all with credentials", with(func(c *CORSConfig) { c.ExposedHeaders = []string{"*"}; c.AllowCredentials = true }), `ExposedHeaders "*" cannot be used with AllowCredentials`},
		{"max age under a second", with(func(c *CORSConfig) { c.MaxAge = 500 * time.Millisecond }), "MaxAge 500ms is under one second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.HasPrefix(msg, "middleware: CORS: ") || !strings.Contains(msg, tt.want) {
					t.Errorf("panic = %q, want one starting %q containing %q", msg, "middleware: CORS: ", tt.want)
				}
			}()
			CORS(tt.cfg)
		})
	}
}

func TestCORSConfigAccepted(t *testing.T) {
	for _, o := range []string{
		"https://example.com",
		"HTTPS://Example.COM",
		"http://localhost:3000",
		"http://127.0.0.1:8080",
		"http://[::1]:8080",
		"https://[2001:db8::1]",
		"https://my_host.example.com",
		"chrome-extension://abcdefghijklmnop",
		"https://*.example.com",
		"https://*.example.com:8443",
	} {
		t.Run(o, func(t *testing.T) {
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("CORS panicked: %v", v)
				}
			}()
			CORS(CORSConfig{AllowedOrigins: []string{o}, AllowCredentials: true, MaxAge: -1})
		})
	}
}

func TestCORSRefusedOriginGetsNoCORSHeaders(t *testing.T) {
	s := corsNewTestServer(CORSConfig{
		AllowedOrigins:   []string{"https://example.com", "https://*.api.example.org"},
		ExposedHeaders:   []string{"X-Total"},
		AllowCredentials: true,
	})
	tests := []struct {
		name   string
		origin []string
	}{
		{"no Origin", nil},
		{"empty Origin", corsOne("")},
		{"null", corsOne("null")},
		{"suffix attack: allowed origin as a subdomain of another", corsOne("https://example.com.evil.com")},
		{"allowed origin with a prefix glued on", corsOne("https://evilexample.com")},
		{"allowed origin with a dashed prefix", corsOne("https://evil-example.com")},
		{"subdomain of an exact origin", corsOne("https://a.example.com")},
		{"http instead of https", corsOne("http://example.com")},
		{"other port", corsOne("https://example.com:8443")},
		{"trailing slash", corsOne("https://example.com/")},
		{"path", corsOne("https://example.com/api")},
		{"surrounding space", corsOne(" https://example.com")},
		{"two origins in one line", corsOne("https://example.com, https://example.com")},
		{"two Origin lines, both allowed", []string{"https://example.com", "https://example.com"}},
		{"pattern base domain itself", corsOne("https://api.example.org")},
		{"pattern with empty label", corsOne("https://.api.example.org")},
		{"pattern with double dot", corsOne("https://a..api.example.org")},
		{"pattern suffix attack", corsOne("https://a.api.example.org.evil.com")},
		{"pattern look-alike", corsOne("https://a.evilapi.example.org")},
		{"pattern over http", corsOne("http://a.api.example.org")},
		{"pattern with port", corsOne("https://a.api.example.org:8443")},
		{"pattern with userinfo", corsOne("https://u@a.api.example.org")},
		{"pattern with path before suffix", corsOne("https://evil.com/.api.example.org")},
		{"pattern with non-ASCII label", corsOne("https://é.api.example.org")},
		{"Kelvin sign is not k", corsOne("https://example.com\u212a")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.calls.Load()
			w := s.do(corsReq{origin: tt.origin})
			corsCheckHeaders(t, "headers", http.Header{"Vary": corsVaryActual}, w.Header())
			if w.Code != http.StatusOK || s.calls.Load() != before+1 {
				t.Errorf("status %d, route calls %d: want 200 from the route", w.Code, s.calls.Load()-before)
			}
		})
	}
}

func TestCORSAllowedOriginIsReflected(t *testing.T) {
	s := corsNewTestServer(CORSConfig{
		AllowedOrigins:   []string{"https://example.com", "http://localhost:3000", "https://*.api.example.org"},
		ExposedHeaders:   []string{"X-Total", "ETag"},
		AllowCredentials: true,
	})
	for _, o := range []string{
		"https://example.com",
		"https://EXAMPLE.com",
		"HTTPS://Example.Com",
		"http://localhost:3000",
		"https://a.api.example.org",
		"https://a.b.api.example.org",
		"https://A.API.Example.ORG",
	} {
		t.Run(o, func(t *testing.T) {
			w := s.do(corsReq{origin: corsOne(o)})
			want := http.Header{
				"Vary":                             corsVaryActual,
				"Access-Control-Allow-Origin":      corsOne(o),
				"Access-Control-Allow-Credentials": corsOne("true"),
				"Access-Control-Expose-Headers":    corsOne("X-Total, ETag"),
			}
			corsCheckHeaders(t, "headers", want, w.Header())
		})
	}
}

func TestCORSVaryIsAppendedToEveryResponse(t *testing.T) {
	h := CORS(CORSConfig{AllowedOrigins: []string{"https://example.com"}})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Vary", "Accept-Language") // the route's own
		}))
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding") // as a compressing middleware would
		h.ServeHTTP(w, r)
	})
	tests := []struct {
		name string
		req  corsReq
		want []string
	}{
		{"allowed origin", corsReq{origin: corsOne("https://example.com")}, []string{"Accept-Encoding", "Origin", "Accept-Language"}},
		{"refused origin", corsReq{origin: corsOne("https://evil.com")}, []string{"Accept-Encoding", "Origin", "Accept-Language"}},
		{"no origin", corsReq{}, []string{"Accept-Encoding", "Origin", "Accept-Language"}},
		{"allowed preflight", corsReq{method: "OPTIONS", origin: corsOne("https://example.com"), acrm: corsOne("GET")}, append([]string{"Accept-Encoding"}, corsVaryPreflight...)},
		{"refused preflight", corsReq{method: "OPTIONS", origin: corsOne("https://evil.com"), acrm: corsOne("GET")}, append([]string{"Accept-Encoding"}, corsVaryPreflight...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			outer.ServeHTTP(w, tt.req.request())
			if diff := cmp.Diff(tt.want, w.Header()["Vary"]); diff != "" {
				t.Errorf("Vary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCORSVaryValuesAreNotSharedAcrossResponses(t *testing.T) {
	mw := CORS(CORSConfig{AllowedOrigins: []string{"https://example.com"}})
	adds := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
	}))
	plain := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, q := range []corsReq{{}, {method: "OPTIONS", acrm: corsOne("GET")}} {
		for range 3 {
			adds.ServeHTTP(httptest.NewRecorder(), q.request())
		}
		w := httptest.NewRecorder()
		plain.ServeHTTP(w, q.request())
		want := corsVaryActual
		if q.method == "OPTIONS" {
			want = corsVaryPreflight
		}
		if diff := cmp.Diff(want, w.Header()["Vary"]); diff != "" {
			t.Errorf("a route's Add leaked into another response's Vary (-want +got):\n%s", diff)
		}
	}
}

func TestCORSPreflightNeverReachesTheRoute(t *testing.T) {
	s := corsNewTestServer(CORSConfig{AllowedOrigins: []string{"https://example.com"}, AllowedMethods: []string{"PUT"}})
	tests := []struct {
		name      string
		req       corsReq
		wantCalls int64
		wantCode  int
	}{
		{"allowed preflight", corsReq{method: "OPTIONS", origin: corsOne("https://example.com"), acrm: corsOne("PUT")}, 0, 204},
		{"refused preflight", corsReq{method: "OPTIONS", origin: corsOne("https://evil.com"), acrm: corsOne("PUT")}, 0, 204},
		{"preflight without Origin", corsReq{method: "OPTIONS", acrm: corsOne("PUT")}, 0, 204},
		{"preflight with two method lines", corsReq{method: "OPTIONS", origin: corsOne("https://example.com"), acrm: []string{"PUT", "PUT"}}, 0, 204},
		{"OPTIONS without Access-Control-Request-Method is the route's", corsReq{method: "OPTIONS", origin: corsOne("https://example.com")}, 1, 200},
		{"OPTIONS with an empty Access-Control-Request-Method is the route's", corsReq{method: "OPTIONS", origin: corsOne("https://example.com"), acrm: corsOne("")}, 1, 200},
		{"Access-Control-Request-Method on GET is an actual request", corsReq{origin: corsOne("https://example.com"), acrm: corsOne("PUT")}, 1, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.calls.Load()
			w := s.do(tt.req)
			if got := s.calls.Load() - before; got != tt.wantCalls || w.Code != tt.wantCode {
				t.Errorf("route calls %d, status %d; want %d, %d", got, w.Code, tt.wantCalls, tt.wantCode)
			}
		})
	}
}

func TestCORSRefusedPreflightIs204WithoutCORSHeaders(t *testing.T) {
	s := corsNewTestServer(CORSConfig{
		AllowedOrigins:   []string{"https://example.com"},
		AllowedMethods:   []string{"PUT", "PATCH"},
		AllowedHeaders:   []string{"Content-Type", "X-Token"},
		AllowCredentials: true,
		MaxAge:           time.Hour,
	})
	ok := "https://example.com"
	tests := []struct {
		name string
		req  corsReq
	}{
		{"refused origin", corsReq{origin: corsOne("https://evil.com"), acrm: corsOne("PUT")}},
		{"no origin", corsReq{acrm: corsOne("PUT")}},
		{"two Origin lines", corsReq{origin: []string{ok, ok}, acrm: corsOne("PUT")}},
		{"method not allowed", corsReq{origin: corsOne(ok), acrm: corsOne("DELETE")}},
		{"method case differs: patch is not PATCH", corsReq{origin: corsOne(ok), acrm: corsOne("patch")}},
		{"safelisted method in lower case", corsReq{origin: corsOne(ok), acrm: corsOne("get")}},
		{"two method lines", corsReq{origin: corsOne(ok), acrm: []string{"PUT", "PUT"}}},
		{"header not allowed", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne("content-type,x-other")}},
		{"header not allowed on a second line", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: []string{"content-type", "x-other"}}},
		{"header prefix is not the header", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne("x-tok")}},
		{"names separated by space only", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne("content-type x-token")}},
		{"semicolon separator", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne("content-type;x-token")}},
		{"non-token byte", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne("x-token\x00")}},
		{"non-ASCII name", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne("x-tøken")}},
		{"65 names", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne(strings.Repeat("x-token,", 64) + "x-token")}},
		{"65 empty elements", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne(strings.Repeat(",", 64))}},
		{"65 lines", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: strings.Split(strings.Repeat("x-token,", 64)+"x-token", ",")}},
		{"one byte over 4 KiB", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne("x-token" + strings.Repeat(" ", 4<<10-7+1))}},
		{"4 KiB over two lines plus one byte", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: []string{strings.Repeat(" ", 2<<10), "x-token" + strings.Repeat(" ", 2<<10-7+1)}}},
		{"100 KB of commas", corsReq{origin: corsOne(ok), acrm: corsOne("PUT"), acrh: corsOne(strings.Repeat(",", 100_000))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.method = http.MethodOptions
			w := s.do(tt.req)
			if w.Code != http.StatusNoContent {
				t.Errorf("status %d, want 204", w.Code)
			}
			corsCheckHeaders(t, "headers", http.Header{"Vary": corsVaryPreflight}, w.Header())
		})
	}
}

func TestCORSAllowedPreflight(t *testing.T) {
	s := corsNewTestServer(CORSConfig{
		AllowedOrigins:   []string{"https://example.com"},
		AllowedMethods:   []string{"PUT", "PATCH"},
		AllowedHeaders:   []string{"Content-Type", "X-Token"},
		ExposedHeaders:   []string{"X-Total"},
		AllowCredentials: true,
		MaxAge:           10 * time.Minute,
	})
	base := http.Header{
		"Vary":                             corsVaryPreflight,
		"Access-Control-Allow-Origin":      corsOne("https://example.com"),
		"Access-Control-Allow-Methods":     corsOne("PUT, PATCH"),
		"Access-Control-Allow-Credentials": corsOne("true"),
		"Access-Control-Max-Age":           corsOne("600"),
	}
	withHeaders := base.Clone()
	withHeaders["Access-Control-Allow-Headers"] = corsOne("content-type, x-token")
	tests := []struct {
		name string
		acrm string
		acrh []string
		want http.Header
	}{
		{"configured method, no headers asked", "PATCH", nil, base},
		{"safelisted method not configured", "GET", nil, base},
		{"empty header list", "PUT", corsOne(""), base},
		{"header list of empty elements", "PUT", corsOne(" , ,"), base},
		{"lower-case sorted names, as browsers send", "PUT", corsOne("content-type,x-token"), withHeaders},
		{"names in any case", "PUT", corsOne("Content-Type,X-TOKEN"), withHeaders},
		{"optional whitespace and tabs", "PUT", corsOne(" content-type \t,\tx-token "), withHeaders},
		{"empty elements", "PUT", corsOne(",content-type,,x-token,"), withHeaders},
		{"several lines, as gateways split them", "PUT", []string{"content-type", "x-token"}, withHeaders},
		{"one name", "PUT", corsOne("x-token"), withHeaders},
		{"64 names", "PUT", corsOne(strings.Repeat("x-token,", 63) + "x-token"), withHeaders},
		{"exactly 4 KiB", "PUT", corsOne("x-token" + strings.Repeat(" ", 4<<10-7)), withHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.do(corsReq{method: "OPTIONS", origin: corsOne("https://example.com"), acrm: corsOne(tt.acrm), acrh: tt.acrh})
			if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
				t.Errorf("status %d, body %q; want 204 and none", w.Code, w.Body)
			}
			corsCheckHeaders(t, "headers", tt.want, w.Header())
		})
	}
}

func TestCORSWildcards(t *testing.T) {
	s := corsNewTestServer(CORSConfig{
		AllowedOrigins: []string{"*"},
		AllowedMethods: []string{"*"},
		AllowedHeaders: []string{"*", "Authorization"},
		ExposedHeaders: []string{"*"},
	})
	preflight := http.Header{
		"Vary":                         corsVaryPreflight,
		"Access-Control-Allow-Origin":  corsOne("*"),
		"Access-Control-Allow-Methods": corsOne("*"),
		"Access-Control-Allow-Headers": corsOne("*, authorization"),
	}
	actual := http.Header{
		"Vary":                          corsVaryActual,
		"Access-Control-Allow-Origin":   corsOne("*"),
		"Access-Control-Expose-Headers": corsOne("*"),
	}
	none := http.Header{"Vary": corsVaryActual}
	tests := []struct {
		name string
		req  corsReq
		want http.Header
	}{
		{"malformed origin", corsReq{origin: corsOne("example.com")}, none},
		{"origin with path", corsReq{origin: corsOne("https://example.com/x")}, none},
		{"origin with a bracketed non-address", corsReq{origin: corsOne("https://[example.com]")}, none},
		{"IPv6 origin", corsReq{origin: corsOne("http://[::1]:8080")}, actual},
		{"no origin", corsReq{}, none},
		{"two Origin lines", corsReq{origin: []string{"https://a.com", "https://b.com"}}, none},
		{"preflight method not a token", corsReq{method: "OPTIONS", origin: corsOne("https://a.com"), acrm: corsOne("PU T")}, http.Header{"Vary": corsVaryPreflight}},
		{"any origin gets *, not itself", corsReq{origin: corsOne("https://anything.example")}, actual},
		{"null under * is public too", corsReq{origin: corsOne("null")}, actual},
		{"any method and header", corsReq{method: "OPTIONS", origin: corsOne("https://a.com"), acrm: corsOne("PURGE"), acrh: corsOne("x-anything,authorization")}, preflight},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.do(tt.req)
			corsCheckHeaders(t, "headers", tt.want, w.Header())
		})
	}
}

func TestCORSMaxAge(t *testing.T) {
	tests := []struct {
		name   string
		maxAge time.Duration
		want   []string
	}{
		{"zero sends nothing", 0, nil},
		{"negative sends 0 to disable caching", -time.Second, corsOne("0")},
		{"whole seconds", 90 * time.Second, corsOne("90")},
		{"fractions of a second are dropped", 1500 * time.Millisecond, corsOne("1")},
		{"above browser caps is sent as is", 48 * time.Hour, corsOne("172800")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := corsNewTestServer(CORSConfig{AllowedOrigins: []string{"https://example.com"}, MaxAge: tt.maxAge})
			w := s.do(corsReq{method: "OPTIONS", origin: corsOne("https://example.com"), acrm: corsOne("GET")})
			if diff := cmp.Diff(tt.want, w.Header()["Access-Control-Max-Age"]); diff != "" {
				t.Errorf("Access-Control-Max-Age (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCORSDefaultsSendOnlyWhatIsConfigured(t *testing.T) {
	s := corsNewTestServer(CORSConfig{AllowedOrigins: []string{"https://example.com"}})
	pre := s.do(corsReq{method: "OPTIONS", origin: corsOne("https://example.com"), acrm: corsOne("POST")})
	want := http.Header{
		"Vary":                         corsVaryPreflight,
		"Access-Control-Allow-Origin":  corsOne("https://example.com"),
		"Access-Control-Allow-Methods": corsOne("GET, HEAD, POST"),
	}
	corsCheckHeaders(t, "preflight headers", want, pre.Header())
	act := s.do(corsReq{origin: corsOne("https://example.com")})
	want = http.Header{"Vary": corsVaryActual, "Access-Control-Allow-Origin": corsOne("https://example.com")}
	corsCheckHeaders(t, "actual headers", want, act.Header())
	refused := s.do(corsReq{method: "OPTIONS", origin: corsOne("https://example.com"), acrm: corsOne("PUT")})
	corsCheckHeaders(t, "PUT is not in the defaults", http.Header{"Vary": corsVaryPreflight}, refused.Header())
}

func TestCORSRouteErrorResponseKeepsCORSHeaders(t *testing.T) {
	h := CORS(CORSConfig{AllowedOrigins: []string{"https://example.com"}, ExposedHeaders: []string{"X-Total"}, AllowCredentials: true})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			send.Error(w, r, micro.Errorf(http.StatusNotFound, "no comment %d", 7))
		}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, corsReq{origin: corsOne("https://example.com")}.request())
	want := http.Header{
		"Vary":                             corsVaryActual,
		"Access-Control-Allow-Origin":      corsOne("https://example.com"),
		"Access-Control-Allow-Credentials": corsOne("true"),
		"Access-Control-Expose-Headers":    corsOne("X-Total"),
	}
	corsCheckHeaders(t, "headers", want, w.Header())
	if w.Code != http.StatusNotFound || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("status %d, Content-Type %q; want the route's 404 problem", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestCORSOptionsActualRequestGetsActualHeaders(t *testing.T) {
	s := corsNewTestServer(CORSConfig{AllowedOrigins: []string{"https://example.com"}, ExposedHeaders: []string{"Allow"}})
	w := s.do(corsReq{method: "OPTIONS", origin: corsOne("https://example.com")})
	want := http.Header{
		"Vary":                          corsVaryActual,
		"Access-Control-Allow-Origin":   corsOne("https://example.com"),
		"Access-Control-Expose-Headers": corsOne("Allow"),
	}
	corsCheckHeaders(t, "headers", want, w.Header())
}

func TestCORSHostileRequestHeadersCostNothingPerByte(t *testing.T) {
	h := CORS(CORSConfig{AllowedOrigins: []string{"https://example.com"}, AllowedMethods: []string{"PUT"}, AllowedHeaders: []string{"X-Token"}})(http.NotFoundHandler())
	for _, tt := range []struct {
		acrh  string
		grant bool
	}{
		{"x-token", true},
		{strings.Repeat(" ", 4<<10), true}, // in bounds and names nothing
		{strings.Repeat(",", 100_000), false},
		{strings.Repeat(",", 4<<10), false},
		{strings.Repeat(" ", 4<<10+1), false},
		{strings.Repeat("x-token,", 512), false},
		{strings.Repeat("a", 4<<10), false},
		{strings.Repeat("a", 1<<20), false},
	} {
		r := corsReq{method: "OPTIONS", origin: corsOne("https://example.com"), acrm: corsOne("PUT"), acrh: corsOne(tt.acrh)}.request()
		w := &testkit.Discard{}
		allocs := testing.AllocsPerRun(100, func() {
			w.Reset()
			h.ServeHTTP(w, r)
		})
		granted := w.Header()["Access-Control-Allow-Origin"] != nil
		if allocs != 0 || granted != tt.grant {
			t.Errorf("ACRH of %d bytes: %v allocations, granted %v; want 0, %v", len(tt.acrh), allocs, granted, tt.grant)
		}
	}
}

func TestCORSHotPathsDoNotAllocate(t *testing.T) {
	h := CORS(CORSConfig{
		AllowedOrigins:   []string{"https://example.com", "https://*.example.org"},
		AllowedMethods:   []string{"PUT"},
		AllowedHeaders:   []string{"Content-Type", "X-Token"},
		ExposedHeaders:   []string{"X-Total"},
		AllowCredentials: true,
		MaxAge:           time.Minute,
	})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for name, q := range map[string]corsReq{
		"actual allowed":         {origin: corsOne("https://example.com")},
		"actual allowed pattern": {origin: corsOne("https://a.example.org")},
		"actual upper case":      {origin: corsOne("https://EXAMPLE.com")},
		"actual refused":         {origin: corsOne("https://evil.com")},
		"no origin":              {},
		"preflight":              {method: "OPTIONS", origin: corsOne("https://example.com"), acrm: corsOne("PUT"), acrh: corsOne("content-type,x-token")},
		"preflight refused":      {method: "OPTIONS", origin: corsOne("https://evil.com"), acrm: corsOne("PUT")},
	} {
		r := q.request()
		w := &testkit.Discard{}
		if allocs := testing.AllocsPerRun(100, func() { w.Reset(); h.ServeHTTP(w, r) }); allocs != 0 {
			t.Errorf("%s: %v allocations per request, want 0", name, allocs)
		}
	}
}

func TestCORSReflectedOriginDoesNotAliasTheRequest(t *testing.T) {
	h := CORS(CORSConfig{AllowedOrigins: []string{"https://example.com"}})(
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Add("Access-Control-Allow-Origin", "https://second.example")
		}))
	r := corsReq{}.request()
	backing := make([]string, 1, 2)
	backing[0] = "https://example.com"
	r.Header["Origin"] = backing
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got := backing[:2][1]; got != "" {
		t.Errorf("the route's append wrote %q into the request's Origin slice", got)
	}
}

// corsBenchConfig and corsBenchGorilla are the same policy in both
// libraries; gorilla's CORS is the peer baseline, the bare handler the
// floor.
var corsBenchConfig = CORSConfig{
	AllowedOrigins:   []string{"https://example.com", "https://app.example.com"},
	AllowedMethods:   []string{"GET", "POST", "PUT"},
	AllowedHeaders:   []string{"Content-Type", "X-Token", "X-Trace"},
	AllowCredentials: true,
	MaxAge:           10 * time.Minute,
}

func corsBenchGorilla() func(http.Handler) http.Handler {
	return handlers.CORS(
		handlers.AllowedOrigins([]string{"https://example.com", "https://app.example.com"}),
		handlers.AllowedMethods([]string{"GET", "POST", "PUT"}),
		handlers.AllowedHeaders([]string{"Content-Type", "X-Token", "X-Trace"}),
		handlers.AllowCredentials(),
		handlers.MaxAge(600),
	)
}

var corsBenchRoute = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// corsBench serves q through h b.N times with a reused header map, so the
// figures are the middleware's own.
func corsBench(b *testing.B, h http.Handler, q corsReq) {
	testkit.Bench(b, h, q.request())
}

var (
	corsBenchAllowed    = corsReq{origin: corsOne("https://app.example.com")}
	corsBenchPreflight  = corsReq{method: "OPTIONS", origin: corsOne("https://app.example.com"), acrm: corsOne("PUT")}
	corsBenchPreflight3 = corsReq{method: "OPTIONS", origin: corsOne("https://app.example.com"), acrm: corsOne("PUT"),
		acrh: corsOne("content-type,x-token,x-trace")}
)

func BenchmarkCORS(b *testing.B) {
	ours := CORS(corsBenchConfig)(corsBenchRoute)
	gorilla := corsBenchGorilla()(corsBenchRoute)
	b.Run("case=actual-allowed/impl=bare", func(b *testing.B) { corsBench(b, corsBenchRoute, corsBenchAllowed) })
	b.Run("case=actual-allowed/impl=micro", func(b *testing.B) { corsBench(b, ours, corsBenchAllowed) })
	b.Run("case=actual-allowed/impl=gorilla", func(b *testing.B) { corsBench(b, gorilla, corsBenchAllowed) })
	b.Run("case=actual-refused/impl=micro", func(b *testing.B) { corsBench(b, ours, corsReq{origin: corsOne("https://evil.com")}) })
	b.Run("case=no-origin/impl=micro", func(b *testing.B) { corsBench(b, ours, corsReq{}) })
	b.Run("case=preflight/impl=micro", func(b *testing.B) { corsBench(b, ours, corsBenchPreflight) })
	b.Run("case=preflight/impl=gorilla", func(b *testing.B) { corsBench(b, gorilla, corsBenchPreflight) })
	b.Run("case=preflight-3-headers/impl=micro", func(b *testing.B) { corsBench(b, ours, corsBenchPreflight3) })
	b.Run("case=preflight-3-headers/impl=gorilla", func(b *testing.B) { corsBench(b, gorilla, corsBenchPreflight3) })
	b.Run("case=preflight-100KB-of-commas/impl=micro", func(b *testing.B) {
		corsBench(b, ours, corsReq{method: "OPTIONS", origin: corsOne("https://app.example.com"), acrm: corsOne("PUT"),
			acrh: corsOne(strings.Repeat(",", 100_000))})
	})
}
