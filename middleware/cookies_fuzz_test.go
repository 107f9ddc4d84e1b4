package middleware

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fuzzCookieReference parses Cookie header lines by the rules of the
// Cookies doc comment, written the slow and obvious way: strings.Split on
// ';', strings.Cut on the first '=', strings.Trim of spaces and tabs,
// quotes removed, url.PathUnescape (which leaves '+' alone, like
// decodeURIComponent) with the raw value kept when it fails or does not
// give UTF-8; the first occurrence wins and at most 256 pairs with a name
// are read.
func fuzzCookieReference(lines []string) map[string]string {
	m := map[string]string{}
	pairs := 0
	for _, l := range lines {
		for _, part := range strings.Split(l, ";") {
			name, value, ok := strings.Cut(part, "=")
			name = strings.Trim(name, " \t")
			if !ok || name == "" {
				continue
			}
			if pairs++; pairs > cookieMaxPairs {
				return m
			}
			value = strings.Trim(value, " \t")
			if len(value) >= 2 && strings.HasPrefix(value, `"`) && strings.HasSuffix(value, `"`) {
				value = value[1 : len(value)-1]
			}
			if strings.Contains(value, "%") {
				if d, err := url.PathUnescape(value); err == nil && utf8.ValidString(d) {
					value = d
				}
			}
			if _, dup := m[name]; !dup {
				m[name] = value
			}
		}
	}
	return m
}

// fuzzCookieLines splits a fuzzed string into Cookie header lines at '\n'
// and repeats the last line rep times more, so the 256-pair cap is
// reached by short inputs.
func fuzzCookieLines(s string, rep uint16) []string {
	lines := strings.Split(s, "\n")
	last := lines[len(lines)-1]
	for range rep % 1024 {
		lines = append(lines, last)
	}
	return lines
}

// FuzzCookieParse checks cookieParse, CookieFrom and the map the Cookies
// middleware hands out against fuzzCookieReference: the same map, never
// more than 256 entries, every name a substring of the header.
func FuzzCookieParse(f *testing.F) {
	for _, s := range []struct {
		header string
		rep    uint16
	}{
		{"a=1; b=2", 0},
		{"a=1; a=2", 0},
		{` q = "quoted" ;e=; =noname; novalue; x=a=b`, 0},
		{`v="`, 0},
		{`v=""`, 0},
		{"v=%E2%82%AC; w=%zz; x=%; y=%C3; z=a+b%20c", 0},
		{"v=%25%32%35", 0},
		{"a=1\nb=2;a=3", 0},
		{"\t t\t=\t1\t", 0},
		{"k=v;", 300},
		{"a=1;b=2;c=3;d=4", 100},
		{"", 0},
		{";;;=;=", 0},
	} {
		f.Add(s.header, s.rep)
	}
	f.Fuzz(func(t *testing.T, header string, rep uint16) {
		lines := fuzzCookieLines(header, rep)
		got := cookieParse(lines)
		want := fuzzCookieReference(lines)
		if len(got) > cookieMaxPairs {
			t.Fatalf("cookieParse returned %d cookies, more than %d", len(got), cookieMaxPairs)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("cookieParse(%q) differs from the reference (-want +got):\n%s", lines, d)
		}
		joined := strings.Join(lines, "\n")
		for name := range got {
			if !strings.Contains(joined, name) {
				t.Fatalf("name %q is not in the header %q", name, joined)
			}
		}

		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Cookie"] = lines
		for name, v := range want {
			if gv, ok := CookieFrom(r, name); !ok || gv != v {
				t.Fatalf("CookieFrom(%q) without Cookies = %q, %v; want %q", name, gv, ok, v)
			}
		}
		var through map[string]string
		Cookies(CookiesConfig{})(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			through = CookiesFrom(r)
		})).ServeHTTP(httptest.NewRecorder(), r)
		if len(want) == 0 && through != nil {
			t.Fatalf("CookiesFrom = %v for a header without cookies, want nil", through)
		}
		if d := cmp.Diff(want, through); len(want) > 0 && d != "" {
			t.Fatalf("CookiesFrom through Cookies differs (-want +got):\n%s", d)
		}
	})
}

// fuzzSignedRead sends the Cookie header lines through a Cookies
// middleware with keys and returns what SignedCookieFrom reads for name.
func fuzzSignedRead(keys [][]byte, lines []string, name string) (string, bool) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header["Cookie"] = lines
	var (
		v  string
		ok bool
	)
	Cookies(CookiesConfig{Keys: keys})(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		v, ok = SignedCookieFrom(r, name)
	})).ServeHTTP(httptest.NewRecorder(), r)
	return v, ok
}

// fuzzCookieName reports whether name survives a Cookie header as a name:
// not empty, no ';' or '=', nothing trimmed.
func fuzzCookieName(name string) bool {
	return name != "" && !strings.ContainsAny(name, ";=\n") && strings.Trim(name, " \t") == name
}

// FuzzSignedCookie checks signing and verification: a value signed with
// key K reads back through the Cookies middleware and SignedCookieFrom, and
// through SetSignedCookie's Set-Cookie header parsed as a browser would
// store it; another key refuses it, a key set holding K beside another
// accepts it; one changed byte anywhere in the signed value never
// verifies; and a fuzzed Cookie header verifies only when its value is
// exactly the signature cookieSign produces for what SignedCookieFrom returns.
func FuzzSignedCookie(f *testing.F) {
	for _, s := range []struct {
		name, value, header string
		pos                 uint16
		flip                byte
	}{
		{"session", "user=42", "session=abc.def", 0, 1},
		{"s", "", "s=.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1, 0x20},
		{"s", "a;b \"c\" é \xff", `s="x.y"`, 5, 0x80},
		{"__Host-id", strings.Repeat("v", 100), "__Host-id=dg.dg", 50, '%'},
		{"n", "v", "n=dg.Vk9Y8qg3yVK4iJ3a2nO3W8nwS39S3zOfnU8Nf3w8iVI", 60, 'A' ^ 'B'},
		{"n", "x", "n=%41%41.", 2, '.'},
	} {
		f.Add(s.name, s.value, s.header, s.pos, s.flip)
	}
	key := bytes.Repeat([]byte{0x5a}, 32)
	other := bytes.Repeat([]byte{0xa5}, 32)
	f.Fuzz(func(t *testing.T, name, value, header string, pos uint16, flip byte) {
		signed := cookieSign([][]byte{key}, name, value)
		line := name + "=" + signed
		if fuzzCookieName(name) && len(name)+len(signed) <= cookieMaxLen {
			if v, ok := fuzzSignedRead([][]byte{key}, []string{line}, name); !ok || v != value {
				t.Fatalf("signed %q=%q reads back as %q, %v", name, value, v, ok)
			}
			if v, ok := fuzzSignedRead([][]byte{other, key}, []string{line}, name); !ok || v != value {
				t.Fatalf("signed %q=%q reads back as %q, %v with the key second", name, value, v, ok)
			}
			if v, ok := fuzzSignedRead([][]byte{other}, []string{line}, name); ok {
				t.Fatalf("signed %q=%q verifies with another key, as %q", name, value, v)
			}
			if flip != 0 && len(signed) > 0 {
				i := int(pos) % len(signed)
				b := []byte(signed)
				b[i] ^= flip
				if v, ok := fuzzSignedRead([][]byte{key}, []string{name + "=" + string(b)}, name); ok {
					t.Fatalf("signed %q with byte %d changed to %q still verifies, as %q", signed, i, b, v)
				}
			}
			fuzzCheckSetCookie(t, key, name, value)
		}

		// Arbitrary header bytes: a value verifies only if it is exactly a
		// signature made with the key.
		lines := strings.Split(header, "\n")
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Cookie"] = lines
		for n, raw := range fuzzCookieReference(lines) {
			v, ok := fuzzSignedRead([][]byte{key}, lines, n)
			if ok && cookieSign([][]byte{key}, n, v) != raw {
				t.Fatalf("cookie %q=%q verified as %q, which signs to %q", n, raw, v, cookieSign([][]byte{key}, n, v))
			}
			if v, ok := fuzzSignedRead([][]byte{other}, lines, n); ok && cookieSign([][]byte{other}, n, v) != raw {
				t.Fatalf("cookie %q=%q verified with the other key as %q", n, raw, v)
			}
		}
	})
}

// fuzzCheckSetCookie signs value with SetSignedCookie, parses the
// Set-Cookie header with http.ParseSetCookie and sends the stored pair
// back: it must read as value.
func fuzzCheckSetCookie(t *testing.T, key []byte, name, value string) {
	t.Helper()
	var err error
	w := httptest.NewRecorder()
	Cookies(CookiesConfig{Keys: [][]byte{key}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err = SetSignedCookie(w, r, &http.Cookie{Name: name, Value: value, Path: "/"})
	})).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if err != nil {
		if len(w.Header()["Set-Cookie"]) != 0 {
			t.Fatalf("SetSignedCookie failed (%v) but set %q", err, w.Header()["Set-Cookie"])
		}
		return // an invalid cookie name: refused, which is documented
	}
	c, perr := http.ParseSetCookie(w.Header().Get("Set-Cookie"))
	if perr != nil {
		t.Fatalf("Set-Cookie %q does not parse: %v", w.Header().Get("Set-Cookie"), perr)
	}
	if v, ok := fuzzSignedRead([][]byte{key}, []string{c.Name + "=" + c.Value}, name); !ok || v != value {
		t.Fatalf("Set-Cookie %q reads back as %q, %v; want %q", w.Header().Get("Set-Cookie"), v, ok, value)
	}
}
