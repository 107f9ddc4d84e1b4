package servers_test

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/bench/servers"
)

// exchange is one request of the API and what every server must answer.
type exchange struct {
	name, method, path, body string
	status                   int
	want                     any // the decoded body of a 2xx; nil for an error
}

func exchanges() []exchange {
	page := make([]servers.Comment, 10)
	for i := range page {
		page[i] = comment(i + 1)
	}
	return []exchange{
		{"list", "GET", "/api/comments", "", 200, page},
		{"item", "GET", "/api/comments/7", "", 200, comment(7)},
		{"unknown id", "GET", "/api/comments/51", "", 404, nil},
		{"non-numeric id", "GET", "/api/comments/abc", "", 404, nil},
		{"post", "POST", "/api/comments", `{"author":"ann","text":"hello"}`, 201,
			servers.Comment{ID: 51, Author: "ann", Text: "hello"}},
		{"post with empty text", "POST", "/api/comments", `{"author":"ann","text":""}`, 422, nil},
		{"second post", "POST", "/api/comments", `{"author":"bob","text":"again"}`, 201,
			servers.Comment{ID: 52, Author: "bob", Text: "again"}},
		{"a created comment is not stored", "GET", "/api/comments/51", "", 404, nil},
		{"the list after posts", "GET", "/api/comments", "", 200, page},
	}
}

func comment(n int) servers.Comment {
	return servers.Comment{ID: n, Author: "user " + itoa(n), Text: "comment number " + itoa(n)}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestServersAnswerAlike sends the same requests, in order, to each
// server over a real connection: the statuses must be the same, every
// answer JSON, and every 2xx body the same values with a Content-Length.
func TestServersAnswerAlike(t *testing.T) {
	// No Accept-Encoding, like the load program: compressing servers send
	// identity bodies.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, name := range servers.Names() {
		t.Run(name, func(t *testing.T) {
			h, err := servers.New(name)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			for _, x := range exchanges() {
				req, err := http.NewRequest(x.method, srv.URL+x.path, strings.NewReader(x.body))
				if err != nil {
					t.Fatal(err)
				}
				if x.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", x.name, err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("%s: reading the body: %v", x.name, err)
				}
				if resp.StatusCode != x.status {
					t.Errorf("%s: status %d, want %d (body %q)", x.name, resp.StatusCode, x.status, body)
				}
				if ct := resp.Header.Get("Content-Type"); !isJSON(ct) {
					t.Errorf("%s: Content-Type %q, want JSON", x.name, ct)
				}
				if x.want == nil {
					continue
				}
				if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) > 0 {
					t.Errorf("%s: Content-Length %d, Transfer-Encoding %q for a %d-byte body", x.name, resp.ContentLength, resp.TransferEncoding, len(body))
				}
				if diff := cmp.Diff(x.want, decodeLike(t, x.want, body)); diff != "" {
					t.Errorf("%s: body (-want +got):\n%s", x.name, diff)
				}
			}
		})
	}
}

// decodeLike decodes body into a new value of want's type.
func decodeLike(t *testing.T, want any, body []byte) any {
	t.Helper()
	switch want.(type) {
	case []servers.Comment:
		var v []servers.Comment
		mustDecode(t, body, &v)
		return v
	default:
		var v servers.Comment
		mustDecode(t, body, &v)
		return v
	}
}

func mustDecode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
}

// isJSON reports whether ct is application/json or a +json type.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func TestNewRefusesAnUnknownName(t *testing.T) {
	if _, err := servers.New("apache"); err == nil {
		t.Fatal("New(apache) = nil error")
	}
}
