package middleware

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzCORSConfig is the policy under fuzz: exact origins, a subdomain
// pattern, credentials, two extra methods and two headers.
var fuzzCORSConfig = CORSConfig{
	AllowedOrigins:   []string{"https://app.example.org", "http://localhost:8080", "http://[::1]:3000", "https://*.example.com"},
	AllowedMethods:   []string{"PUT", "DELETE"},
	AllowedHeaders:   []string{"Content-Type", "X-Custom"},
	ExposedHeaders:   []string{"X-Request-Id"},
	AllowCredentials: true,
}

// fuzzCORSLabels is the part of a host that "*." stands for: one or more
// dot-separated labels of letters, digits, '-' and '_' (at most 253 bytes).
var fuzzCORSLabels = regexp.MustCompile(`^[a-z0-9_-]+(\.[a-z0-9_-]+)*$`)

// fuzzCORSToken is an HTTP token (RFC 9110, section 5.6.2).
var fuzzCORSToken = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// fuzzASCIILower lower-cases ASCII letters only, as origins compare: no
// Unicode folding (the Kelvin sign is not a k).
func fuzzASCIILower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// fuzzCORSOriginAllowed is the reference for fuzzCORSConfig's origins,
// built on url.Parse: an exact origin, compared ignoring ASCII case, or
// "https://" + labels + ".example.com", nothing else in the URL.
func fuzzCORSOriginAllowed(o string) bool {
	lo := fuzzASCIILower(o)
	for _, e := range fuzzCORSConfig.AllowedOrigins[:3] {
		if lo == e {
			return true
		}
	}
	u, err := url.Parse(o)
	if err != nil || u.Scheme != "https" || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawPath != "" ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Port() != "" {
		return false
	}
	host := fuzzASCIILower(u.Host)
	if lo != "https://"+host { // the origin is exactly scheme://host, nothing unescaped or dropped
		return false
	}
	labels, ok := strings.CutSuffix(host, ".example.com")
	return ok && len(labels) <= 253 && fuzzCORSLabels.MatchString(labels)
}

// fuzzCORSHeadersAllowed is the reference for Access-Control-Request-
// Headers: at most 64 lines of at most 4096 bytes together; every line
// split on ',' into at most 64 elements in all, each trimmed of spaces and
// tabs and either empty or a token listed in AllowedHeaders (ignoring
// case). named reports whether any name was given.
func fuzzCORSHeadersAllowed(lines []string) (ok, named bool) {
	if len(lines) > corsMaxRequestHeaderNames || len(strings.Join(lines, "")) > corsMaxRequestHeaderBytes {
		return false, false
	}
	elems := 0
	for _, l := range lines {
		for _, e := range strings.Split(l, ",") {
			if elems++; elems > corsMaxRequestHeaderNames {
				return false, false
			}
			e = strings.Trim(e, " \t")
			if e == "" {
				continue
			}
			if !fuzzCORSToken.MatchString(e) || !slices.ContainsFunc(fuzzCORSConfig.AllowedHeaders, func(a string) bool {
				return strings.EqualFold(a, e)
			}) {
				return false, false
			}
			named = true
		}
	}
	return true, named
}

// fuzzCORSLines splits s into header lines at '\n'; none for "".
func fuzzCORSLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// fuzzCORSRepeat joins rep+1 copies of s with commas, so short inputs
// reach the 4 KiB and 64-element bounds.
func fuzzCORSRepeat(s string, rep uint8) string {
	if rep == 0 {
		return s
	}
	return strings.Repeat(s+",", int(rep)) + s
}

// FuzzCORS sends fuzzed Origin, Access-Control-Request-Method and
// Access-Control-Request-Headers through CORS(fuzzCORSConfig), as an
// ordinary request and as a preflight, and the Origin through CrossOrigin
// trusting the same origins, and checks them against the
// url.Parse and strings.Split references: Access-Control-Allow-Origin only
// for a single allowed Origin, then byte for byte that Origin, never "*";
// credentials only with it; a preflight granted only when the origin, the
// method (case-sensitive: GET, HEAD, POST, PUT, DELETE) and every header
// are allowed, answered with 204 and never passed on; Vary always set.
func FuzzCORS(f *testing.F) {
	for _, s := range []struct {
		origin, method, headers string
		rep                     uint8
	}{
		{"https://app.example.org", "PUT", "content-type, x-custom", 0},
		{"HTTPS://APP.EXAMPLE.ORG", "DELETE", "", 0},
		{"https://a.b.example.com", "PATCH", "Content-Type", 0},
		{"https://example.com", "GET", "", 0},
		{"https://example.com.evil.com", "GET", "", 0},
		{"https://evilexample.com", "GET", "", 0},
		{"http://a.example.com", "GET", "", 0},
		{"https://a.example.com:443", "GET", "", 0},
		{"https://a.example.com/", "GET", "", 0},
		{"https://user@a.example.com", "GET", "", 0},
		{"https://a%2eexample.com", "GET", "", 0},
		{"https://\u212a.example.com", "GET", "", 0},
		{"null", "put", "x-custom", 0},
		{"http://[::1]:3000", "POST", "x-custom,,  ,\tcontent-type", 0},
		{"http://localhost:8080\nhttp://localhost:8080", "GET", "", 0},
		{"https://a.example.com", "PUT", "x-custom", 70},
		{"https://a.example.com", "PUT", "content-type\nx-custom", 0},
		{"https://a.example.com", "PUT", "x-custom;", 0},
		{"https://a.example.com", "PUT", "x custom", 0},
		{"https://" + strings.Repeat("a.", 126) + "example.com", "PUT", "", 0},
		{".a", "PUT", "", 0},
		{"a..b", "PUT", "", 0},
	} {
		f.Add(s.origin, s.method, s.headers, s.rep)
	}
	teapot := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	h := CORS(fuzzCORSConfig)(teapot)
	co := CrossOrigin(fuzzCORSConfig.AllowedOrigins...)(teapot)
	f.Fuzz(func(t *testing.T, origin, method, reqHeaders string, rep uint8) {
		// The fuzzed string as the whole Origin, and as the part of one
		// that a pattern's "*" stands for, where look-alikes hide.
		for _, o := range []string{origin, "https://" + origin + ".example.com", origin + ".example.com"} {
			fuzzCORSOne(t, h, o, method, reqHeaders, rep)
			fuzzCrossOriginOne(t, co, o)
		}
	})
}

// fuzzCrossOriginOne checks that CrossOrigin, trusting the origins CORS
// allows, lets a cross-site POST with the one Origin o through exactly
// when the CORS reference allows o. (Several Origin lines are left to
// net/http's protection, which reads the first.)
func fuzzCrossOriginOne(t *testing.T, h http.Handler, o string) {
	t.Helper()
	if strings.Contains(o, "\n") {
		return
	}
	r := httptest.NewRequest(http.MethodPost, "http://api.example.net/", nil)
	r.Header["Origin"] = []string{o}
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	want := http.StatusForbidden
	if fuzzCORSOriginAllowed(o) {
		want = http.StatusTeapot
	}
	if w.Code != want {
		t.Fatalf("CrossOrigin: cross-site POST from Origin %q: status %d, want %d", o, w.Code, want)
	}
}

// fuzzCORSOne checks one request and one preflight for FuzzCORS.
func fuzzCORSOne(t *testing.T, h http.Handler, origin, method, reqHeaders string, rep uint8) {
	t.Helper()
	origins := fuzzCORSLines(origin)
	allowed := len(origins) == 1 && fuzzCORSOriginAllowed(origins[0])

	// An ordinary request.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if origins != nil {
		r.Header["Origin"] = origins
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	got := w.Header()
	if w.Code != http.StatusTeapot {
		t.Fatalf("status %d, want the handler's 418", w.Code)
	}
	fuzzCORSCheckOrigin(t, got, origins, allowed)
	if allowed && !slices.Equal(got["Access-Control-Expose-Headers"], []string{"X-Request-Id"}) {
		t.Fatalf("Expose-Headers %q, want X-Request-Id", got["Access-Control-Expose-Headers"])
	}
	if d := cmp.Diff([]string{"Origin"}, got["Vary"]); d != "" {
		t.Fatalf("Vary (-want +got):\n%s", d)
	}

	// A preflight.
	acrh := fuzzCORSLines(fuzzCORSRepeat(reqHeaders, rep))
	r = httptest.NewRequest(http.MethodOptions, "/", nil)
	if origins != nil {
		r.Header["Origin"] = origins
	}
	r.Header["Access-Control-Request-Method"] = []string{method}
	if acrh != nil {
		r.Header["Access-Control-Request-Headers"] = acrh
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	got = w.Header()
	if method == "" {
		if w.Code != http.StatusTeapot {
			t.Fatalf("OPTIONS with an empty Access-Control-Request-Method: status %d, want the handler's", w.Code)
		}
		return
	}
	if w.Code != http.StatusNoContent {
		t.Fatalf("preflight status %d, want 204", w.Code)
	}
	hdrsOK, named := fuzzCORSHeadersAllowed(acrh)
	granted := allowed && hdrsOK && slices.Contains([]string{"GET", "HEAD", "POST", "PUT", "DELETE"}, method)
	fuzzCORSCheckOrigin(t, got, origins, granted)
	want := http.Header{"Vary": {"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}}
	if granted {
		want["Access-Control-Allow-Origin"] = origins
		want["Access-Control-Allow-Credentials"] = []string{"true"}
		want["Access-Control-Allow-Methods"] = []string{"PUT, DELETE"}
		if named {
			want["Access-Control-Allow-Headers"] = []string{"content-type, x-custom"}
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("preflight Origin %q, method %q, headers %q (-want +got):\n%s", origins, method, acrh, d)
	}
}

// fuzzCORSCheckOrigin checks the Allow-Origin and Allow-Credentials
// headers: present exactly when allowed, equal to the request's one
// Origin, never "*".
func fuzzCORSCheckOrigin(t *testing.T, got http.Header, origins []string, allowed bool) {
	t.Helper()
	acao, creds := got["Access-Control-Allow-Origin"], got["Access-Control-Allow-Credentials"]
	switch {
	case slices.Contains(acao, "*"):
		t.Fatalf("Allow-Origin * with credentials configured")
	case !allowed && (acao != nil || creds != nil):
		t.Fatalf("Origin %q is not allowed by the reference, but got Allow-Origin %q, Allow-Credentials %q", origins, acao, creds)
	case allowed && (len(acao) != 1 || acao[0] != origins[0]):
		t.Fatalf("Origin %q is allowed by the reference, but got Allow-Origin %q", origins, acao)
	case allowed && !slices.Equal(creds, []string{"true"}):
		t.Fatalf("Allow-Credentials %q, want true", creds)
	}
}
