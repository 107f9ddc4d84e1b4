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
		if got, want := p.append(nil), bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
			t.Errorf("Problem.append = %s\nencoding/json  = %s", got, want)
		}
	}
}
