package jsontext_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/microkit-go/micro/internal/jsontext"
)

// encodingJSON is what encoding/json writes for s, HTML escaping off.
func encodingJSON(s string) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// slogJSON is what slog's JSONHandler writes for s as a string value.
func slogJSON(s string) string {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key != "v" {
				return slog.Attr{}
			}
			return a
		},
	})).Info("", "v", s)
	line := strings.TrimSuffix(b.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(line, `{"v":`), "}")
}

func check(t *testing.T, s string) {
	t.Helper()
	if got, want := string(jsontext.AppendString(nil, s, jsontext.EncodingJSON)), encodingJSON(s); got != want {
		t.Errorf("EncodingJSON %q: got %s, want %s", s, got, want)
	}
	if got, want := string(jsontext.AppendString(nil, s, jsontext.Slog)), slogJSON(s); got != want {
		t.Errorf("Slog %q: got %s, want %s", s, got, want)
	}
}

func TestAppendStringEveryByte(t *testing.T) {
	for b := 0; b < 256; b++ {
		check(t, "a"+string(rune(b))+"z")
		check(t, "a"+string([]byte{byte(b)})+"z")
	}
	for _, s := range []string{"", "plain", "<a href='x'>&amp;</a>", "\u2028\u2029", "\xff\xfe", "日本語", "\x00\x1f\x7f", `"\`,
		"tab\tnew\nline\rcr", "\b\f", "héllo wörld", "emoji 😀", "bad \xff utf8", "\xc3", "\xed\xa0\x80 surrogate",
		"\xf4\x90\x80\x80 too big", "mixed \"\xff\n\u2028é", "twenty-four plain bytes!", "eight by" + "\n" + "te words"} {
		check(t, s)
	}
}

func TestAppendStringAppends(t *testing.T) {
	got := jsontext.AppendString([]byte("x:"), "y", jsontext.Slog)
	if string(got) != `x:"y"` {
		t.Errorf("got %s", got)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\bb\fc", "\u2028", "\xed\xa0\x80", "\xf4\x90\x80\x80", "é", "\t\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check(t, s)
		if !utf8.Valid(jsontext.AppendString(nil, s, jsontext.Slog)) {
			t.Errorf("%q: output is not valid UTF-8", s)
		}
	})
}
