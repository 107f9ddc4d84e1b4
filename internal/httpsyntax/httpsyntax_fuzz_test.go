package httpsyntax

import (
	"math"
	"mime"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// fuzzToken is the token grammar of RFC 9110 section 5.6.2, written out:
//
//	token = 1*tchar
//	tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//	        "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
//
// (golang.org/x/net/http/httpguts would serve too, but its package pulls
// golang.org/x/text into the module's requirements.)
var fuzzToken = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")

// FuzzToken checks IsToken and IsTokenChar against the grammar of RFC 9110
// section 5.6.2.
func FuzzToken(f *testing.F) {
	for _, s := range []string{"", "GET", "x-token", "a b", "a,b", "gzıp", "\x00", "\x7f", "!#$%&'*+-.^_`|~", "a{b}", "a\\b"} {
		f.Add(s)
	}
	all := make([]byte, 256) // every byte, so plain go test checks each one
	for i := range all {
		all[i] = byte(i)
	}
	f.Add(string(all))
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsToken(s), fuzzToken.MatchString(s); got != want {
			t.Fatalf("IsToken(%q) = %v, grammar %v", s, got, want)
		}
		for i := 0; i < len(s); i++ {
			if got, want := IsTokenChar(s[i]), fuzzToken.MatchString(s[i:i+1]); got != want {
				t.Fatalf("IsTokenChar(%q) = %v, grammar %v", s[i], got, want)
			}
		}
	})
}

// fuzzQValue is the qvalue grammar of RFC 9110 section 12.4.2.
var fuzzQValue = regexp.MustCompile(`^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$`)

// TestParseQAgainstGrammar checks ParseQ against the grammar of RFC 9110
// section 12.4.2 and the value strconv.ParseFloat reads, on every string
// of up to six bytes over the bytes that matter to the grammar and a few
// that do not. A qvalue has at most five bytes, so this covers every
// branch; it stands in for a fuzz target.
func TestParseQAgainstGrammar(t *testing.T) {
	const alphabet = "01259. x-"
	var check func(s string)
	check = func(s string) {
		got, ok := ParseQ(s)
		if want := fuzzQValue.MatchString(s); ok != want {
			t.Fatalf("ParseQ(%q) ok = %v, grammar %v", s, ok, want)
		}
		if ok {
			v, err := strconv.ParseFloat(s, 64)
			if want := int(math.Round(v * 1000)); err != nil || got != want {
				t.Fatalf("ParseQ(%q) = %d, want %d (%v)", s, got, want, err)
			}
		}
		if len(s) < 6 {
			for k := 0; k < len(alphabet); k++ {
				check(s + alphabet[k:k+1])
			}
		}
	}
	check("")
}

// fuzzElements splits lines as the doc comment of Elements says, with
// strings.Split: every line costs its length plus one, a line is cut at
// the budget and its last (possibly truncated) element dropped, lines
// past the budget are not read, and the empty element after a line's last
// comma, or of an empty line, is not an element.
func fuzzElements(lines []string, budget int) []string {
	var elems []string
	read := 0
	for _, l := range lines {
		if read >= budget {
			break
		}
		if room := budget - read; len(l) > room {
			parts := strings.Split(l[:room], ",")
			return append(elems, parts[:len(parts)-1]...)
		}
		parts := strings.Split(l, ",")
		if parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		elems = append(elems, parts...)
		read += len(l) + 1
	}
	return elems
}

// FuzzElements checks Elements against fuzzElements on fuzzed header lines
// (split at '\n', the last repeated rep times to pass a budget), with the
// budgets of Accept-Encoding (512) and Accept (4096) in compress and send.
func FuzzElements(f *testing.F) {
	for _, s := range []struct {
		header string
		rep    uint8
	}{
		{"gzip, deflate, br, zstd", 0},
		{"a,,b,", 0},
		{",", 0},
		{"br;q=1\ngzip;q=0.5", 0},
		{"identity, ", 60},
		{"application/json, ", 250},
		{"\ngzip", 0},
		{strings.Repeat("\n", 520) + "gzip", 0},
	} {
		f.Add(s.header, s.rep)
	}
	f.Fuzz(func(t *testing.T, header string, rep uint8) {
		lines := strings.Split(header, "\n")
		last := lines[len(lines)-1]
		for range rep {
			lines = append(lines, last)
		}
		for _, budget := range []int{512, 4096} {
			got := slices.Collect(Elements(lines, budget))
			if diff := cmp.Diff(fuzzElements(lines, budget), got); diff != "" {
				t.Fatalf("Elements(%q, %d) (-reference +got):\n%s", lines, budget, diff)
			}
		}
	})
}

// fuzzTSpecials are the bytes before which mime.ParseMediaType resolves a
// quoted-pair.
const fuzzTSpecials = `()<>@,;:\"/[]?=`

// fuzzLikeMime reports whether v lies where our media type rule and
// mime.ParseMediaType are meant to agree. They differ on purpose in three
// places, which it excludes: whitespace other than spaces and tabs, which
// mime trims and RFC 9110 does not; a backslash before a byte that is no
// tspecial, which mime keeps (for MSIE file paths) and RFC 9110 section
// 5.6.4 resolves; and RFC 2231 parameters ("name*"), which mime decodes
// and HTTP does not use.
func fuzzLikeMime(v string) bool {
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) && r != ' ' && r != '\t' }) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && (i+1 == len(v) || strings.IndexByte(fuzzTSpecials, v[i+1]) < 0) {
			return false
		}
	}
	_, params := CutMediaType(v)
	for params != "" {
		var name string
		name, _, params = NextParam(params)
		if strings.IndexByte(name, '*') >= 0 {
			return false
		}
	}
	return true
}

// FuzzMediaType checks CutMediaType, NextParam, Param and Unquote against
// mime.ParseMediaType on the values it accepts: the same media type,
// ignoring case, and the same parameters, names ignoring case and values
// unquoted.
func FuzzMediaType(f *testing.F) {
	for _, s := range []string{
		"application/json", " Text/HTML ; Charset=UTF-8 ", `text/plain; a="x;charset=latin1"; charset=utf-8`,
		`a/b; x="q\"uote\\d"`, `a/b; x=""`, "a/b;;", "a/b; x=1; x=1", `a/b; x="C:\dev"`, "a/b; x*=utf-8''%41",
		"a/b;\vx=1", "a/b; x=1\u00a0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		want, wantParams, err := mime.ParseMediaType(v)
		if err != nil || !fuzzLikeMime(v) {
			return
		}
		mt, params := CutMediaType(v)
		if strings.ToLower(mt) != want {
			t.Fatalf("CutMediaType(%q) = %q, mime %q", v, mt, want)
		}
		got := map[string]string{}
		for p := params; p != ""; {
			var name string
			name, _, p = NextParam(p)
			if name == "" {
				continue
			}
			value, ok := Param(params, name)
			if !ok {
				t.Fatalf("Param(%q, %q) finds nothing, though NextParam gave it", params, name)
			}
			got[strings.ToLower(name)] = Unquote(value)
		}
		if diff := cmp.Diff(wantParams, got); diff != "" {
			t.Fatalf("parameters of %q (-mime +ours):\n%s", v, diff)
		}
	})
}
