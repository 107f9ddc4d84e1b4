package middleware

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/internal/testkit"
)

// cookieTestKey returns a 32-byte key filled with b.
func cookieTestKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// cookieTestRequest returns a GET request carrying the given Cookie header
// lines, one header line each.
func cookieTestRequest(lines ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, l := range lines {
		r.Header.Add("Cookie", l)
	}
	return r
}

// cookieTestThrough serves r through Cookies(cfg) and returns the request
// the handler saw.
func cookieTestThrough(t testing.TB, cfg CookiesConfig, r *http.Request) *http.Request {
	t.Helper()
	var seen *http.Request
	Cookies(cfg)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen = r
	})).ServeHTTP(httptest.NewRecorder(), r)
	if seen == nil {
		t.Fatal("the handler behind Cookies was not called")
	}
	return seen
}

// cookieTestSign returns the value SetSignedCookie sets for name and value
// under keys.
func cookieTestSign(t *testing.T, keys [][]byte, name, value string) string {
	t.Helper()
	r := cookieTestThrough(t, CookiesConfig{Keys: keys}, cookieTestRequest())
	w := httptest.NewRecorder()
	if err := SetSignedCookie(w, r, &http.Cookie{Name: name, Value: value}); err != nil {
		t.Fatalf("SetSignedCookie(%q, %q): %v", name, value, err)
	}
	lines := w.Header()["Set-Cookie"]
	if len(lines) != 1 {
		t.Fatalf("SetSignedCookie set %d Set-Cookie lines, want 1", len(lines))
	}
	c, err := http.ParseSetCookie(lines[0])
	if err != nil {
		t.Fatalf("parsing %q: %v", lines[0], err)
	}
	return c.Value
}

// cookieTestRead returns what SignedCookieFrom reads for name from a request
// whose Cookie header is header, behind Cookies with keys.
func cookieTestRead(t *testing.T, keys [][]byte, name, header string) (string, bool) {
	t.Helper()
	return SignedCookieFrom(cookieTestThrough(t, CookiesConfig{Keys: keys}, cookieTestRequest(header)), name)
}

// cookieTestPairs returns n pairs "prefix0=0; prefix1=1; …".
func cookieTestPairs(prefix string, n int) (string, map[string]string) {
	parts := make([]string, n)
	m := make(map[string]string, n)
	for i := range n {
		k, v := prefix+strconv.Itoa(i), strconv.Itoa(i)
		parts[i] = k + "=" + v
		m[k] = v
	}
	return strings.Join(parts, "; "), m
}

func TestCookieParsingIsLenientLikeTheCookiePackage(t *testing.T) {
	over, _ := cookieTestPairs("c", cookieMaxPairs+44)
	_, first := cookieTestPairs("c", cookieMaxPairs)
	line1, want1 := cookieTestPairs("a", 200)
	line2, _ := cookieTestPairs("b", 100)
	_, want2 := cookieTestPairs("b", cookieMaxPairs-200)
	across := map[string]string{}
	for k, v := range want1 {
		across[k] = v
	}
	for k, v := range want2 {
		across[k] = v
	}

	tests := []struct {
		name  string
		lines []string
		want  map[string]string
	}{
		// Malformed input first: skipped, never an error.
		{"a pair without '=' is skipped", []string{"a; b=2"}, map[string]string{"b": "2"}},
		{"a header without any '=' holds no cookie", []string{"justtext"}, map[string]string{}},
		{"an empty name is skipped", []string{"=1; b=2"}, map[string]string{"b": "2"}},
		{"a blank name is skipped", []string{" \t=1; b=2"}, map[string]string{"b": "2"}},
		{"empty pairs between ';;' are skipped", []string{"a=1;;b=2;; ;"}, map[string]string{"a": "1", "b": "2"}},
		{"only separators hold no cookie", []string{";;; ;"}, map[string]string{}},
		{"an empty header line holds no cookie", []string{""}, map[string]string{}},
		{"invalid percent-encoding keeps the raw value", []string{"a=%zz; b=100%; c=%4"},
			map[string]string{"a": "%zz", "b": "100%", "c": "%4"}},
		{"percent-encoding of invalid UTF-8 keeps the raw value", []string{"a=%FF; b=%E2%82"},
			map[string]string{"a": "%FF", "b": "%E2%82"}},
		{"percent-encoded UTF-16 surrogate keeps the raw value", []string{"a=%ED%A0%80"},
			map[string]string{"a": "%ED%A0%80"}},
		{"duplicates: the first occurrence wins", []string{"a=1; a=2; b=3; a=4"}, map[string]string{"a": "1", "b": "3"}},
		{"over the pair bound the rest is ignored", []string{over}, first},
		{"the pair bound counts across header lines", []string{line1, line2}, across},
		{"skipped pairs do not count toward the bound", []string{strings.Repeat(";x", 1000) + ";a=1"},
			map[string]string{"a": "1"}},
		{"duplicates count toward the bound", []string{strings.Repeat("a=1;", cookieMaxPairs) + "b=2"},
			map[string]string{"a": "1"}},

		// Well-formed input.
		{"no header holds no cookie", nil, map[string]string{}},
		{"one cookie", []string{"a=1"}, map[string]string{"a": "1"}},
		{"spaces and tabs around names and values are trimmed", []string{" \ta \t= \t1 \t;\tb=2 "},
			map[string]string{"a": "1", "b": "2"}},
		{"spaces inside a value are kept", []string{"a= x y "}, map[string]string{"a": "x y"}},
		{"an empty value is a cookie", []string{"a=; b=\"\""}, map[string]string{"a": "", "b": ""}},
		{"a value keeps its own '='", []string{"a=b=c=="}, map[string]string{"a": "b=c=="}},
		{"surrounding double quotes are removed", []string{`a="x y"; b="1"`}, map[string]string{"a": "x y", "b": "1"}},
		{"one-sided or lone quotes are kept", []string{`a="x; b=x"; c="`},
			map[string]string{"a": `"x`, "b": `x"`, "c": `"`}},
		{"spaces inside quotes are kept", []string{`a=" x "`}, map[string]string{"a": " x "}},
		{"percent-encoding is decoded", []string{"a=%20x%3B%3d; b=%E2%82%AC"}, map[string]string{"a": " x;=", "b": "€"}},
		{"a quoted value is decoded too", []string{`a="%41"`}, map[string]string{"a": "A"}},
		{"'+' is not a space", []string{"a=1+2"}, map[string]string{"a": "1+2"}},
		{"several header lines are all read", []string{"a=1", "b=2; a=3", "c=4"},
			map[string]string{"a": "1", "b": "2", "c": "4"}},
		{"HTTP/2's joined lines read the same", []string{"a=1; b=2; a=3; c=4"},
			map[string]string{"a": "1", "b": "2", "c": "4"}},
		{"names are not validated", []string{"a b=1; ü=2"}, map[string]string{"a b": "1", "ü": "2"}},
		{"names are case-sensitive", []string{"A=1; a=2"}, map[string]string{"A": "1", "a": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			via := map[string]*http.Request{
				"behind Cookies":  cookieTestThrough(t, CookiesConfig{}, cookieTestRequest(tt.lines...)),
				"without Cookies": cookieTestRequest(tt.lines...),
			}
			for how, r := range via {
				got := CookiesFrom(r)
				if (got == nil) != (len(tt.want) == 0) {
					t.Fatalf("%s: CookiesFrom = %#v: want nil exactly when there is no cookie", how, got)
				}
				if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s: CookiesFrom (-want +got):\n%s", how, diff)
				}
				for name, want := range tt.want {
					if v, ok := CookieFrom(r, name); !ok || v != want {
						t.Errorf("%s: CookieFrom(%q) = %q, %v; want %q, true", how, name, v, ok, want)
					}
				}
				if v, ok := CookieFrom(r, "missing"); ok {
					t.Errorf("%s: CookieFrom(missing) = %q, true; want absent", how, v)
				}
			}
		})
	}
}

func TestCookieParsingHandlesHugeHeadersInLinearTime(t *testing.T) {
	// A quadratic parser would not finish these within the test timeout;
	// nothing here measures time.
	const size = 1 << 20
	for _, pattern := range []string{"=", ";", "%", `"`, " ", "\t", "a", "a=", "a=%", "%4", "a=1;", "=;"} {
		header := strings.Repeat(pattern, size/len(pattern))
		for _, lines := range [][]string{{header}, {header, header}, {"a=" + header}} {
			got := cookieParse(lines)
			if len(got) > cookieMaxPairs {
				t.Errorf("%q×%d: %d cookies, over the bound %d", pattern, size/len(pattern), len(got), cookieMaxPairs)
			}
			r := cookieTestRequest(lines...)
			_, _ = CookieFrom(r, "zz")
		}
	}
	if got := cookieParse([]string{"a=" + strings.Repeat("%41", size/3)}); len(got["a"]) != size/3 {
		t.Errorf("a 1 MiB percent-encoded value decoded to %d bytes, want %d", len(got["a"]), size/3)
	}
}

func TestCookieParsingWithoutCookiesAllocatesNothing(t *testing.T) {
	for _, lines := range [][]string{nil, {""}, {"no pairs; at all"}} {
		if n := testing.AllocsPerRun(100, func() { _ = cookieParse(lines) }); n != 0 {
			t.Errorf("cookieParse(%q): %v allocations, want 0", lines, n)
		}
	}
	r := cookieTestRequest("a=1; b=2; session=xyz")
	if n := testing.AllocsPerRun(100, func() { _, _ = CookieFrom(r, "session") }); n != 0 {
		t.Errorf("CookieFrom without the middleware: %v allocations, want 0", n)
	}
	// Without cookies the map is nil: it reads as empty, and a write to it
	// panics instead of changing a map other requests share.
	if m := CookiesFrom(cookieTestThrough(t, CookiesConfig{}, cookieTestRequest())); m != nil {
		t.Errorf("CookiesFrom without cookies = %#v, want nil", m)
	}
}

func TestCookiesPanicsOnAShortKey(t *testing.T) {
	tests := []struct {
		name string
		keys [][]byte
		want string // "" means no panic
	}{
		{"a 31-byte key panics", [][]byte{make([]byte, 31)}, "middleware: Cookies: key 0 is 31 bytes"},
		{"a nil key panics", [][]byte{nil}, "middleware: Cookies: key 0 is 0 bytes"},
		{"a short second key panics", [][]byte{cookieTestKey(1), make([]byte, 16)}, "middleware: Cookies: key 1 is 16 bytes"},
		{"a 32-byte key is accepted", [][]byte{cookieTestKey(1)}, ""},
		{"a long key is accepted", [][]byte{make([]byte, 200)}, ""},
		{"no keys are accepted", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				got, _ := recover().(string)
				if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
					t.Errorf("panic = %q, want one starting with %q", got, tt.want)
				}
			}()
			Cookies(CookiesConfig{Keys: tt.keys})
		})
	}
}

func TestCookiesCopiesItsKeys(t *testing.T) {
	key := cookieTestKey(7)
	keys := [][]byte{key}
	mw := Cookies(CookiesConfig{Keys: keys})
	key[0] ^= 0xff             // the caller changes the key's bytes…
	keys[0] = cookieTestKey(9) // …and the slice's entry

	var signed string
	mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := SetSignedCookie(w, r, &http.Cookie{Name: "s", Value: "v"}); err != nil {
			t.Fatal(err)
		}
		c, err := http.ParseSetCookie(w.Header().Get("Set-Cookie"))
		if err != nil {
			t.Fatal(err)
		}
		signed = c.Value
	})).ServeHTTP(httptest.NewRecorder(), cookieTestRequest())

	if v, ok := cookieTestRead(t, [][]byte{cookieTestKey(7)}, "s", "s="+signed); !ok || v != "v" {
		t.Errorf("read with the original key = %q, %v; want \"v\", true", v, ok)
	}
}

func TestSignedCookieRefusesWhatItDidNotSign(t *testing.T) {
	key := [][]byte{cookieTestKey(1)}
	good := cookieTestSign(t, key, "session", "user-42")
	enc, sig, _ := strings.Cut(good, ".")
	otherName := cookieTestSign(t, key, "other", "user-42")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	// The last of 43 characters carries 4 bits of the MAC and 2 unused
	// bits: setting one gives the same MAC in a non-canonical spelling.
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	nonCanonical := enc + "." + sig[:len(sig)-1] + string(alphabet[last|1])
	if last|1 == last {
		nonCanonical = enc + "." + sig[:len(sig)-1] + string(alphabet[last&^1])
	}
	// Over 4096 bytes, although correctly signed.
	huge := cookieSign(key, "session", strings.Repeat("x", 3100))

	tests := []struct {
		name   string
		header string
	}{
		{"an unsigned value", "session=user-42"},
		{"an empty value", "session="},
		{"the separator alone", "session=."},
		{"a tampered value", "session=" + base64.RawURLEncoding.EncodeToString([]byte("user-43")) + "." + sig},
		{"a tampered signature", "session=" + enc + "." + flip(sig, 20)},
		{"a truncated signature", "session=" + good[:len(good)-1]},
		{"the value without its signature", "session=" + enc},
		{"the signature without its value", "session=." + sig},
		{"a truncated value", "session=" + good[1:]},
		{"a value with text before it", "session=x." + good},
		{"a padded signature", "session=" + good + "="},
		{"a non-canonical signature encoding", "session=" + nonCanonical},
		{"a value signed for another name", "session=" + otherName},
		{"a value over 4096 bytes", "session=" + huge},
		{"a signature in the wrong alphabet", "session=" + enc + ".+" + sig[1:]},
		{"no such cookie", "other=" + otherName},
		{"no Cookie header", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, ok := cookieTestRead(t, key, "session", tt.header); ok || v != "" {
				t.Errorf("SignedCookieFrom = %q, %v; want \"\", false", v, ok)
			}
		})
	}
	// The control: the untouched value does verify.
	if v, ok := cookieTestRead(t, key, "session", "session="+good); !ok || v != "user-42" {
		t.Errorf("the untouched value: SignedCookie = %q, %v; want \"user-42\", true", v, ok)
	}
	if _, ok := cookieTestRead(t, key, "session", "session="+cookieSign(key, "session", strings.Repeat("x", 3000))); !ok {
		t.Error("a signed value under 4096 bytes was refused")
	}
}

func TestSignedCookieIsAbsentWithoutKeys(t *testing.T) {
	good := cookieTestSign(t, [][]byte{cookieTestKey(1)}, "session", "user-42")
	r := cookieTestRequest("session=" + good)
	if v, ok := SignedCookieFrom(r, "session"); ok || v != "" {
		t.Errorf("without Cookies: SignedCookie = %q, %v; want \"\", false", v, ok)
	}
	if v, ok := SignedCookieFrom(cookieTestThrough(t, CookiesConfig{}, r), "session"); ok || v != "" {
		t.Errorf("behind Cookies without keys: SignedCookie = %q, %v; want \"\", false", v, ok)
	}
}

func TestSignedCookieKeyRotation(t *testing.T) {
	old, cur, other := cookieTestKey(1), cookieTestKey(2), cookieTestKey(3)
	tests := []struct {
		name       string
		sign, read [][]byte
		want       bool
	}{
		{"a value signed with an unknown key is refused", [][]byte{old}, [][]byte{cur}, false},
		{"a value signed with the old key is refused once it is dropped", [][]byte{old}, [][]byte{cur, other}, false},
		{"the new key signs: the old key alone does not verify", [][]byte{cur, old}, [][]byte{old}, false},
		{"the old key still verifies after rotation", [][]byte{old}, [][]byte{cur, old}, true},
		{"the new key signs: the new key alone verifies", [][]byte{cur, old}, [][]byte{cur}, true},
		{"a key in third place verifies", [][]byte{old}, [][]byte{cur, other, old}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signed := cookieTestSign(t, tt.sign, "session", "user-42")
			v, ok := cookieTestRead(t, tt.read, "session", "session="+signed)
			if ok != tt.want || ok && v != "user-42" {
				t.Errorf("SignedCookieFrom = %q, %v; want ok %v", v, ok, tt.want)
			}
		})
	}
}

func TestSignedCookieWithSeveralMiddlewaresSharingThePool(t *testing.T) {
	// Pooled HMACs are tied to one key set; interleaving two sets must
	// never verify one's cookie with the other's key.
	a, b := [][]byte{cookieTestKey(1)}, [][]byte{cookieTestKey(2)}
	sa, sb := cookieTestSign(t, a, "s", "from a"), cookieTestSign(t, b, "s", "from b")
	for range 20 {
		if v, ok := cookieTestRead(t, a, "s", "s="+sa); !ok || v != "from a" {
			t.Fatalf("a's cookie under a = %q, %v", v, ok)
		}
		if _, ok := cookieTestRead(t, b, "s", "s="+sa); ok {
			t.Fatal("a's cookie verified under b")
		}
		if v, ok := cookieTestRead(t, b, "s", "s="+sb); !ok || v != "from b" {
			t.Fatalf("b's cookie under b = %q, %v", v, ok)
		}
		if _, ok := cookieTestRead(t, a, "s", "s="+sb); ok {
			t.Fatal("b's cookie verified under a")
		}
	}
}

func TestSetSignedCookieErrors(t *testing.T) {
	keys := [][]byte{cookieTestKey(1)}
	// The longest value whose signed cookie fits in 4096 bytes, for the
	// name "s".
	fit := 0
	for len("s")+base64.RawURLEncoding.EncodedLen(fit+1)+1+cookieSigLen <= cookieMaxLen {
		fit++
	}
	tests := []struct {
		name    string
		cfg     *CookiesConfig // nil: no Cookies middleware
		cookie  *http.Cookie
		wantErr error  // errors.Is, or
		wantMsg string // a substring
	}{
		{"no Cookies middleware", nil, &http.Cookie{Name: "s", Value: "v"}, cookieErrNoKeys, ""},
		{"Cookies without keys", &CookiesConfig{}, &http.Cookie{Name: "s", Value: "v"}, cookieErrNoKeys, ""},
		{"a nil cookie", &CookiesConfig{Keys: keys}, nil, cookieErrNil, ""},
		{"an empty name", &CookiesConfig{Keys: keys}, &http.Cookie{Value: "v"}, nil, "invalid Cookie.Name"},
		{"a name with a space", &CookiesConfig{Keys: keys}, &http.Cookie{Name: "a b", Value: "v"}, nil, "invalid Cookie.Name"},
		{"a name with '='", &CookiesConfig{Keys: keys}, &http.Cookie{Name: "a=b", Value: "v"}, nil, "invalid Cookie.Name"},
		{"a path with ';'", &CookiesConfig{Keys: keys}, &http.Cookie{Name: "s", Value: "v", Path: "/a;b"}, nil, "Cookie.Path"},
		{"a bad domain", &CookiesConfig{Keys: keys}, &http.Cookie{Name: "s", Value: "v", Domain: "a b"}, nil, "Cookie.Domain"},
		{"an expiry before 1601", &CookiesConfig{Keys: keys},
			&http.Cookie{Name: "s", Value: "v", Expires: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, "Cookie.Expires"},
		{"partitioned without Secure", &CookiesConfig{Keys: keys}, &http.Cookie{Name: "s", Value: "v", Partitioned: true}, nil, "Secure"},
		{"one byte over 4096 once signed", &CookiesConfig{Keys: keys},
			&http.Cookie{Name: "s", Value: strings.Repeat("x", fit+1)}, cookieErrTooLarge, ""},
		{"the longest value that fits is set", &CookiesConfig{Keys: keys}, &http.Cookie{Name: "s", Value: strings.Repeat("x", fit)}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cookieTestRequest()
			if tt.cfg != nil {
				r = cookieTestThrough(t, *tt.cfg, r)
			}
			var before http.Cookie
			if tt.cookie != nil {
				before = *tt.cookie
			}
			w := httptest.NewRecorder()
			err := SetSignedCookie(w, r, tt.cookie)
			set := w.Header()["Set-Cookie"]

			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil || len(set) != 1 {
					t.Fatalf("err = %v, Set-Cookie %q; want nil and one line", err, set)
				}
				if n := len(strings.SplitN(set[0], ";", 2)[0]); n > cookieMaxLen+1 || n < cookieMaxLen-1 { // name=value
					t.Errorf("name=value is %d bytes, want just under %d", n, cookieMaxLen+1)
				}
				return
			}
			if err == nil {
				t.Fatalf("err = nil, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "middleware: SetSignedCookie: ") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want the middleware prefix and %q", err, tt.wantMsg)
			}
			if len(set) != 0 {
				t.Errorf("Set-Cookie = %q after an error, want none", set)
			}
			if tt.cookie != nil {
				if diff := cmp.Diff(before, *tt.cookie, cmpopts.EquateComparable(time.Time{})); diff != "" {
					t.Errorf("the cookie was modified (-before +after):\n%s", diff)
				}
			}
		})
	}
}

func TestSignedCookieRoundTripsAnyValueThroughAServer(t *testing.T) {
	values := []string{
		"user-42",
		"",
		`spaces; semicolons, "quotes", back\slash = equals`,
		"naïve ✓ 日本語 🍪",
		"not UTF-8: \xff\xfe\x00 NUL",
		"%41 stays %41",
		strings.Repeat("long ", 500),
	}
	keys := [][]byte{cookieTestKey(4)}
	var value string // the value the next /login signs
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		c := &http.Cookie{Name: "session", Value: value, Path: "/", MaxAge: 3600,
			HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
		if err := SetSignedCookie(w, r, c); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		v, ok := SignedCookieFrom(r, "session")
		if !ok {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, v)
	})
	srv := httptest.NewServer(Cookies(CookiesConfig{Keys: keys})(mux))
	defer srv.Close()

	type attrs struct {
		Name             string
		Path             string
		MaxAge           int
		HttpOnly, Secure bool
		SameSite         http.SameSite
	}
	for _, v := range values {
		value = v
		res, err := srv.Client().Get(srv.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		set := res.Cookies()
		if res.StatusCode != http.StatusOK || len(set) != 1 {
			t.Fatalf("%q: /login: %s with %d cookies", v, res.Status, len(set))
		}
		got := attrs{set[0].Name, set[0].Path, set[0].MaxAge, set[0].HttpOnly, set[0].Secure, set[0].SameSite}
		want := attrs{"session", "/", 3600, true, true, http.SameSiteLaxMode}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q: Set-Cookie attributes (-want +got):\n%s", v, diff)
		}

		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/me", nil)
		req.Header.Set("Cookie", "theme=dark; session="+set[0].Value+"; lang=en")
		res, err = srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK || string(body) != v {
			t.Errorf("/me = %s %q, want 200 %q", res.Status, body, v)
		}
	}
}

func TestSignedCookieIsSafeForConcurrentUse(t *testing.T) {
	a, b := [][]byte{cookieTestKey(1)}, [][]byte{cookieTestKey(2), cookieTestKey(1)}
	signed := cookieTestSign(t, a, "s", "v")
	ra := cookieTestThrough(t, CookiesConfig{Keys: a}, cookieTestRequest("s="+signed))
	rb := cookieTestThrough(t, CookiesConfig{Keys: b}, cookieTestRequest("s="+signed))
	wb := cookieTestThrough(t, CookiesConfig{Keys: b}, cookieTestRequest())
	errs := make(chan string, 8)
	for g := range 8 {
		go func() {
			for range 200 {
				for _, r := range []*http.Request{ra, rb} {
					if v, ok := SignedCookieFrom(r, "s"); !ok || v != "v" {
						errs <- "SignedCookieFrom = " + v + ", " + strconv.FormatBool(ok)
						return
					}
				}
				if err := SetSignedCookie(httptest.NewRecorder(), wb, &http.Cookie{Name: "s", Value: strconv.Itoa(g)}); err != nil {
					errs <- err.Error()
					return
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

func TestSignCookieFailsWithoutKeys(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if sc, err := SignCookie(r, &http.Cookie{Name: "a", Value: "b"}); sc != nil || err == nil {
		t.Errorf("SignCookie without Cookies = %v, %v; want nil and an error", sc, err)
	}
	r = cookieTestThrough(t, CookiesConfig{Keys: [][]byte{cookieTestKey('k')}}, cookieTestRequest())
	if sc, err := SignCookie(r, nil); sc != nil || err == nil {
		t.Errorf("SignCookie(nil) = %v, %v; want nil and an error", sc, err)
	}
}

func TestSignCookieRoundTrips(t *testing.T) {
	h := Cookies(CookiesConfig{Keys: [][]byte{cookieTestKey('k')}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, ok := SignedCookieFrom(r, "visitor"); ok {
			_, _ = w.Write([]byte("back: " + v))
			return
		}
		c := &http.Cookie{Name: "visitor", Value: "v 1;", Path: "/"}
		sc, err := SignCookie(r, c)
		if err != nil {
			t.Fatal(err)
		}
		if c.Value != "v 1;" || sc.Value == c.Value || sc.Path != "/" {
			t.Errorf("c %v, signed %v", c, sc)
		}
		w.Header().Add("Set-Cookie", sc.String())
	}))
	first := httptest.NewRecorder()
	h.ServeHTTP(first, cookieTestRequest())
	r := cookieTestRequest()
	for _, c := range first.Result().Cookies() {
		r.AddCookie(c)
	}
	second := httptest.NewRecorder()
	h.ServeHTTP(second, r)
	if got := second.Body.String(); got != "back: v 1;" {
		t.Errorf("second response %q", got)
	}
}

// cookieBenchHeader is a typical browser Cookie header: five cookies, one
// of them a signed session.
const cookieBenchHeader = "_ga=GA1.2.1234567890.1700000000; theme=dark; lang=en-GB; " +
	"consent=%7B%22ads%22%3Afalse%7D; session="

// cookieBenchSink keeps results alive so the compiler cannot drop the work.
var cookieBenchSink string

// BenchmarkCookies measures a request through the middleware reading one
// cookie, beside a bare handler, net/http's r.Cookies() and the shared
// state attachment that every middleware of the chain pays once.
func BenchmarkCookies(b *testing.B) {
	keys := [][]byte{cookieTestKey(1)}
	header := cookieBenchHeader + cookieSign(keys, "session", "user-42")
	r := cookieTestRequest(header)
	empty := cookieTestRequest()
	read := func(name string, get func(*http.Request, string) (string, bool)) http.Handler {
		return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { cookieBenchSink, _ = get(r, name) })
	}
	cookies := Cookies(CookiesConfig{Keys: keys})

	for _, bb := range []struct {
		name string
		h    http.Handler
		r    *http.Request
	}{
		{"case=CookieFrom/impl=bare", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), r},
		{"case=CookieFrom/impl=attach-only", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			_, s := state.Attach(r)
			cookieBenchSink = s.Data.RequestID
		}), r},
		{"case=CookieFrom/impl=nethttp-Cookies", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			for _, c := range r.Cookies() {
				if c.Name == "theme" {
					cookieBenchSink = c.Value
					break
				}
			}
		}), r},
		{"case=CookieFrom/impl=nethttp", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie("theme"); err == nil {
				cookieBenchSink = c.Value
			}
		}), r},
		{"case=CookieFrom/impl=micro", cookies(read("theme", CookieFrom)), r},
		{"case=no-cookie-header/impl=micro", cookies(read("theme", CookieFrom)), empty},
		{"case=SignedCookie/impl=micro", cookies(read("session", SignedCookieFrom)), r},
		{"case=CookieFrom-without-middleware/impl=micro", read("theme", CookieFrom), r},
	} {
		b.Run(bb.name, func(b *testing.B) { testkit.Bench(b, bb.h, bb.r) })
	}
}

// BenchmarkCookieParse compares the parser alone with net/http's.
func BenchmarkCookieParse(b *testing.B) {
	header := cookieBenchHeader + "dXNlci00Mg.0123456789012345678901234567890123456789012"
	lines := []string{header}
	b.Run("case=parse/impl=nethttp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cs, _ := http.ParseCookie(header)
			cookieBenchSink = cs[1].Value
		}
	})
	b.Run("case=parse/impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cookieBenchSink = cookieParse(lines)["theme"]
		}
	})
	huge := []string{strings.Repeat("a=1; ", 200_000)} // 1 MB, the default header limit
	b.Run("case=parse-1MB-of-duplicates/impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(huge[0])))
		for b.Loop() {
			cookieBenchSink = cookieParse(huge)["a"]
		}
	})
}

// BenchmarkSignedCookie measures verifying a signed cookie, beside the same
// verification written the usual way (gorilla/securecookie's shape): a new
// HMAC per call.
func BenchmarkSignedCookie(b *testing.B) {
	keys := [][]byte{cookieTestKey(1)}
	signed := cookieSign(keys, "session", "user-42")
	r := cookieTestThrough(b, CookiesConfig{Keys: keys}, cookieTestRequest("session="+signed))
	rotated := cookieTestThrough(b, CookiesConfig{Keys: [][]byte{cookieTestKey(2), cookieTestKey(1)}},
		cookieTestRequest("session="+signed))

	b.Run("case=verify/impl=hmac.New-per-call", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, _ := CookieFrom(r, "session")
			enc, sig, _ := strings.Cut(v, ".")
			want, err := base64.RawURLEncoding.DecodeString(sig)
			if err != nil {
				b.Fatal(err)
			}
			h := hmac.New(sha256.New, keys[0])
			h.Write([]byte("session=" + enc))
			if !hmac.Equal(h.Sum(nil), want) {
				b.Fatal("not verified")
			}
			val, _ := base64.RawURLEncoding.DecodeString(enc)
			cookieBenchSink = string(val)
		}
	})
	b.Run("case=verify/impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cookieBenchSink, _ = SignedCookieFrom(r, "session")
		}
	})
	b.Run("case=verify-second-key/impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cookieBenchSink, _ = SignedCookieFrom(rotated, "session")
		}
	})
	b.Run("case=sign/impl=micro", func(b *testing.B) {
		w := httptest.NewRecorder()
		c := &http.Cookie{Name: "session", Value: "user-42", Path: "/", HttpOnly: true, Secure: true}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.Header())
			if err := SetSignedCookie(w, r, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
