package send

import (
	"bytes"
	"encoding/json"
	"testing"
)

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
		got, err := p.append(nil)
		if want := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); err != nil || !bytes.Equal(got, want) {
			t.Errorf("Problem.append = %s, %v\nencoding/json  = %s", got, err, want)
		}
	}
}

func TestProblemAppendExtensions(t *testing.T) {
	base := `{"type":"about:blank","title":"Forbidden","status":403`
	tests := []struct {
		name string
		ext  []Member
		want string
	}{
		{"members follow the standard ones in their order",
			[]Member{{"balance", 30}, {"accounts", []string{"/a/1", "/a/2"}}},
			base + `,"balance":30,"accounts":["/a/1","/a/2"]}`},
		{"a value is encoded as encoding/json does, HTML unescaped",
			[]Member{{"html", "<b>&</b>"}, {"nil", nil}, {"obj", map[string]int{"b": 2, "a": 1}}},
			base + `,"html":"<b>&</b>","nil":null,"obj":{"a":1,"b":2}}`},
		{"a name is JSON-escaped",
			[]Member{{"a\"b\n", true}},
			base + `,"a\"b\n":true}`},
		{"reserved names are left out",
			[]Member{{"type", "x"}, {"title", "x"}, {"status", 1}, {"detail", "x"}, {"instance", "x"}, {"ok", 1}},
			base + `,"ok":1}`},
		{"a repeated name keeps the first",
			[]Member{{"n", 1}, {"n", 2}},
			base + `,"n":1}`},
		{"names that are one name once encoded keep the first",
			[]Member{{"a\xff", 1}, {"a\xfe", 2}, {"a\ufffd", 3}, {"\xff\xfe", 4}, {"\ufffd\xfe", 5}},
			base + `,"a\ufffd":1,"\ufffd\ufffd":4}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Problem{Type: "about:blank", Title: "Forbidden", Status: 403, Extensions: tt.ext}
			got, err := p.append(nil)
			if err != nil || string(got) != tt.want {
				t.Errorf("append = %s, %v; want %s", got, err, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}

func TestProblemAppendUnencodableExtensionIsAnError(t *testing.T) {
	for _, v := range []any{make(chan int), func() {}, []any{1, make(chan int)}} {
		p := Problem{Type: "about:blank", Title: "Forbidden", Status: 403, Extensions: []Member{{"ok", 1}, {"bad", v}}}
		if b, err := p.append(nil); err == nil {
			t.Errorf("append of %T = %s, nil error; want an error", v, b)
		}
	}
}

func TestReserved(t *testing.T) {
	for name, want := range map[string]bool{
		"type": true, "title": true, "status": true, "detail": true, "instance": true,
		"Type": false, "errors": false, "": false,
	} {
		if got := Reserved(name); got != want {
			t.Errorf("Reserved(%q) = %v, want %v", name, got, want)
		}
	}
}
