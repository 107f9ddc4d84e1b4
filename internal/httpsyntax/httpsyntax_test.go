package httpsyntax

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTrimOWS(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		" \t ":         "",
		"gzip":         "gzip",
		" \tgzip\t ":   "gzip",
		"a b":          "a b",
		" a b ":        "a b",
		"\vgzip\f":     "\vgzip\f", // only spaces and tabs are OWS
		"\r\ngzip\r\n": "\r\ngzip\r\n",
		"\u00a0gzip":   "\u00a0gzip",
	} {
		if got := TrimOWS(in); got != want {
			t.Errorf("TrimOWS(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{
		"":                  false,
		"GET":               true,
		"x-token":           true,
		"!#$%&'*+-.^_`|~09": true,
		"a b":               false,
		"a,b":               false,
		"a;b":               false,
		"a:":                false,
		`"a"`:               false,
		"a/b":               false,
		"a\x00":             false,
		"a\x7f":             false,
		"gzıp":              false, // non-ASCII
	} {
		if got := IsToken(s); got != want {
			t.Errorf("IsToken(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestBodyAllowed(t *testing.T) {
	for status, want := range map[int]bool{
		0: false, 99: false, 100: false, 101: false, 103: false, 199: false,
		200: true, 201: true, 204: false, 205: true, 206: true, 304: false,
		301: true, 404: true, 500: true, 599: true,
	} {
		if got := BodyAllowed(status); got != want {
			t.Errorf("BodyAllowed(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestElements(t *testing.T) {
	tests := []struct {
		name   string
		lines  []string
		budget int
		want   []string
	}{
		{"no lines", nil, 100, nil},
		{"an empty line yields nothing", []string{""}, 100, nil},
		{"elements are not trimmed", []string{"a, b ,c"}, 100, []string{"a", " b ", "c"}},
		{"an empty element between commas is yielded", []string{"a,,b"}, 100, []string{"a", "", "b"}},
		{"a trailing empty element is not", []string{"a,"}, 100, []string{"a"}},
		{"a leading empty element is", []string{",a"}, 100, []string{"", "a"}},
		{"lines are read in order", []string{"a,b", "c"}, 100, []string{"a", "b", "c"}},
		{"a line that fits exactly", []string{"abc"}, 3, []string{"abc"}},
		{"a line cut at the budget drops its last element", []string{"ab,cd"}, 4, []string{"ab"}},
		{"a cut line with one element yields nothing", []string{"abcd"}, 3, nil},
		{"each line costs one more than its length", []string{"ab", "cd"}, 4, []string{"ab"}},
		{"an empty line costs one", []string{"", "", "ab"}, 3, nil},
		{"two empty lines leave room for two bytes", []string{"", "", "ab"}, 4, []string{"ab"}},
		{"lines past the budget are not read", []string{"ab", "cd", "ef"}, 6, []string{"ab", "cd"}},
		{"no budget reads nothing", []string{"a"}, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := slices.Collect(Elements(tc.lines, tc.budget))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Elements(%q, %d) (-want +got):\n%s", tc.lines, tc.budget, diff)
			}
		})
	}
}

func TestElementsStopsWhenAsked(t *testing.T) {
	var got []string
	for e := range Elements([]string{"a,b", "c"}, 100) {
		got = append(got, e)
		if e == "b" {
			break
		}
	}
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Errorf("elements read before break (-want +got):\n%s", diff)
	}
}

func TestElementsAllocatesNothing(t *testing.T) {
	lines := strings.Split(strings.Repeat("text/html;q=0.1,", 1000), ",")
	n := testing.AllocsPerRun(100, func() {
		for e := range Elements(lines, 4096) {
			if e == "x" {
				return
			}
		}
	})
	if n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

func TestParseQ(t *testing.T) {
	for s, want := range map[string]int{
		"0": 0, "0.": 0, "0.0": 0, "0.000": 0, "0.001": 1, "0.01": 10, "0.5": 500, "0.999": 999,
		"1": 1000, "1.": 1000, "1.0": 1000, "1.000": 1000,
	} {
		if got, ok := ParseQ(s); !ok || got != want {
			t.Errorf("ParseQ(%q) = %d, %v; want %d, true", s, got, ok, want)
		}
	}
	for _, s := range []string{
		"", " 1", "1 ", "0.0001", "01", "00", "0x5", "0.5x", "0,5", "-1", "+1", ".5", "abc", "0.00a",
		"1.5", "1.001", "10", "2", "1x",
	} {
		if got, ok := ParseQ(s); ok {
			t.Errorf("ParseQ(%q) = %d, true; want false", s, got)
		}
	}
}

// TestParseQAboveZero is the rule an Accept element needs: a weight above
// zero, a malformed one counting as zero.
func TestParseQAboveZero(t *testing.T) {
	for q, want := range map[string]bool{
		"": false, "0": false, "0.": false, "0.0": false, "0.00": false, "0.000": false,
		"0.001": true, "0.01": true, "0.5": true, "0.999": true,
		"1": true, "1.": true, "1.0": true, "1.000": true,
		"0.0001": false, "01": false, "00": false, "0x5": false, "0.5x": false, "0,5": false,
		"-1": false, ".5": false, "abc": false, "0.00a": false,
	} {
		if w, ok := ParseQ(q); (ok && w > 0) != want {
			t.Errorf("ParseQ(%q) = %d, %v; want above zero %v", q, w, ok, want)
		}
	}
}

func TestCutMediaType(t *testing.T) {
	tests := []struct{ in, mediaType, params string }{
		{"", "", ""},
		{"application/json", "application/json", ""},
		{" Application/JSON \t", "Application/JSON", ""},
		{"text/html; charset=utf-8", "text/html", " charset=utf-8"},
		{"text/html ;", "text/html", ""},
		{";a=b", "", "a=b"},
		{"text/plain;a=\"x;y\"", "text/plain", "a=\"x;y\""},
	}
	for _, tc := range tests {
		mt, params := CutMediaType(tc.in)
		if mt != tc.mediaType || params != tc.params {
			t.Errorf("CutMediaType(%q) = %q, %q; want %q, %q", tc.in, mt, params, tc.mediaType, tc.params)
		}
	}
}

func TestNextParam(t *testing.T) {
	type param struct{ Name, Value string }
	tests := []struct {
		name, params string
		want         []param
	}{
		{"one", "charset=utf-8", []param{{"charset", "utf-8"}}},
		{"optional whitespace around name and value", " a = b ;\tc=d\t", []param{{"a", "b"}, {"c", "d"}}},
		{"a ';' in a quoted value does not split", `a="x;y";b=c`, []param{{"a", `"x;y"`}, {"b", "c"}}},
		{"an escaped quote does not close the string", `a="x\";y";b=c`, []param{{"a", `"x\";y"`}, {"b", "c"}}},
		{"an open quoted-string runs to the end", `a="x;b=c`, []param{{"a", `"x;b=c`}}},
		{"no '=' is an empty value", "a;b=c", []param{{"a", ""}, {"b", "c"}}},
		{"empty parameters", ";;a=b;", []param{{"", ""}, {"", ""}, {"a", "b"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []param
			for p := tc.params; p != ""; {
				var n, v string
				n, v, p = NextParam(p)
				got = append(got, param{n, v})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("NextParam over %q (-want +got):\n%s", tc.params, diff)
			}
		})
	}
}

func TestParam(t *testing.T) {
	tests := []struct {
		params, name, want string
		ok                 bool
	}{
		{" charset=utf-8", "charset", "utf-8", true},
		{" CHARSET=utf-8", "charset", "utf-8", true},
		{` a=1; charset="utf-8"`, "charset", `"utf-8"`, true},
		{` a="x;charset=latin1"; charset=utf-8`, "charset", "utf-8", true},
		{"charset=a;charset=b", "charset", "a", true},
		{"a=b", "charset", "", false},
		{"", "charset", "", false},
	}
	for _, tc := range tests {
		if got, ok := Param(tc.params, tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("Param(%q, %q) = %q, %v; want %q, %v", tc.params, tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestUnquote(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"utf-8":       "utf-8",
		`"utf-8"`:     "utf-8",
		`""`:          "",
		`"a\"b"`:      `a"b`,
		`"a\\b"`:      `a\b`,
		`"a\b"`:       "ab",
		`"a\"`:        `a\`,
		`"utf-8`:      "utf-8",
		`utf-8"`:      "utf-8",
		`"`:           "",
		`"a"b"`:       `a"b`,
		`"x;charset"`: "x;charset",
	} {
		if got := Unquote(in); got != want {
			t.Errorf("Unquote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsersAllocateNothing(t *testing.T) {
	ct := `application/merge-patch+json; a="x;y"; charset="utf-8"`
	n := testing.AllocsPerRun(100, func() {
		_, params := CutMediaType(ct)
		v, _ := Param(params, "charset")
		_ = Unquote(v)
		_ = IsToken("x-token")
		_, _ = ParseQ("0.5")
		_ = TrimOWS(" gzip ")
	})
	if n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

func TestUnhex(t *testing.T) {
	const digits = "0123456789abcdef"
	for c := 0; c < 256; c++ {
		got, ok := Unhex(byte(c))
		want := strings.IndexByte(digits, byte(c))
		if want < 0 && 'A' <= c && c <= 'F' {
			want = c - 'A' + 10
		}
		if ok != (want >= 0) || ok && int(got) != want {
			t.Errorf("Unhex(%q) = %d, %v; want %d", byte(c), got, ok, want)
		}
	}
}

func TestCutByte(t *testing.T) {
	for _, tt := range []struct {
		s, before, after string
		found            bool
	}{
		{"a,b", "a", "b", true},
		{"a,b,c", "a", "b,c", true},
		{",", "", "", true},
		{"abc", "abc", "", false},
		{"", "", "", false},
	} {
		before, after, found := CutByte(tt.s, ',')
		if before != tt.before || after != tt.after || found != tt.found {
			t.Errorf("CutByte(%q) = %q, %q, %v; want %q, %q, %v", tt.s, before, after, found, tt.before, tt.after, tt.found)
		}
	}
}

func TestEqualFold(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"gzip", "GZIP", true},
		{"Text/Event-Stream", "text/event-stream", true},
		{"", "", true},
		{"gzip", "gzi", false},
		{"a", "b", false},
		{"[", "{", false}, // 0x5b and 0x7b differ by the case bit but are no letters
		{"@", "`", false},
		{"\u212a", "k", false}, // the Kelvin sign folds to k in Unicode, not in HTTP
		{"ſ", "s", false},
		{"é", "É", false},
	} {
		if got := EqualFold(c.a, c.b); got != c.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	for x := range 256 {
		for y := range 256 {
			a, b := string([]byte{byte(x)}), string([]byte{byte(y)})
			want := x == y || x < 0x80 && y < 0x80 && strings.EqualFold(a, b)
			if got := EqualFold(a, b); got != want {
				t.Fatalf("EqualFold(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}
