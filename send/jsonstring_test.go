package send

import (
	"bytes"
	"encoding/json"
	"testing"
)

// encodingJSON is the oracle: encoding/json with HTML escaping off.
func encodingJSON(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var jsonStringSeeds = []string{
	"", "plain", `quo"te`, `back\slash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f",
	"\b\f", "<html>&amp;", "héllo wörld", "日本語", "emoji 😀", "\u2028\u2029",
	"bad \xff utf8", "\xc3", "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 too big",
	"mixed \"\xff\n\u2028é",
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonStringSeeds {
		if got, want := appendJSONString(nil, s), encodingJSON(t, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendJSONString(nil, s), encodingJSON(t, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

func TestProblemAppendMatchesEncodingJSON(t *testing.T) {
	for _, p := range []Problem{
		{Type: "about:blank", Title: "Not Found", Status: 404},
		{Type: "about:blank", Title: "Bad Request", Status: 400, Detail: "Invalid JSON: \"x\"\n<at> byte 3 \xff"},
		{Type: "https://example.com/probs/out-of-credit", Title: "You do not have enough credit.", Status: 403,
			Detail: "Your current balance is 30, but that costs 50.", Instance: "/account/12345/msgs/abc"},
	} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
		if got, want := p.append(nil), bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
			t.Errorf("Problem.append = %s\nencoding/json  = %s", got, want)
		}
	}
}
