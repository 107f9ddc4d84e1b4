package middleware_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	micro "github.com/microkit-go/micro"
)

// chainItem is one element of the large JSON document.
type chainItem struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

// chainBig returns a JSON document of about 64 KiB.
func chainBig() []chainItem {
	items := make([]chainItem, 1024)
	for i := range items {
		items[i] = chainItem{ID: i, Text: fmt.Sprintf("comment number %d %s", i, strings.Repeat("x", 32))}
	}
	return items
}

func TestChainBodylessResponsesHaveNoBodyAndZeroBytes(t *testing.T) {
	big := chainBig()
	for _, tc := range chainTimeouts {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("/big", micro.Handler(func(r *http.Request) (any, error) { return big, nil }))
			mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
				// Writes its body whatever the method, as net/http allows.
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(big)
			})
			mux.Handle("/none", micro.Handler(func(r *http.Request) (any, error) { return nil, nil }))
			mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Header().Set("ETag", `"v1"`)
				http.ServeContent(w, r, "", time.Time{}, strings.NewReader(strings.Repeat("line of text\n", 1000)))
			})
			e := chainStart(t, tc.d, mux)

			full := e.do(t, e.req(t, "GET", "/file", nil, "Accept-Encoding", "gzip", "Origin", chainOrigin))
			etag := full.header.Get("Etag")
			if full.status != 200 || full.header.Get("Content-Encoding") != "gzip" || etag != `W/"v1"` {
				t.Fatalf("GET /file: %d, Content-Encoding %q, ETag %q; want 200, gzip, W/\"v1\"",
					full.status, full.header.Get("Content-Encoding"), etag)
			}
			cases := []struct {
				name, method, path string
				header             []string
				status             int
			}{
				{"HEAD of a micro route", "HEAD", "/big", nil, 200},
				{"HEAD of a plain handler that writes a body", "HEAD", "/plain", nil, 200},
				{"204", "GET", "/none", nil, 204},
				{"304", "GET", "/file", []string{"If-None-Match", etag}, 304},
			}
			for _, c := range cases {
				hdr := append([]string{"Accept-Encoding", "gzip", "Origin", chainOrigin}, c.header...)
				res := e.do(t, e.req(t, c.method, c.path, nil, hdr...))
				if res.status != c.status || len(res.raw) != 0 {
					t.Errorf("%s: status %d, body %d bytes; want %d and no body", c.name, res.status, len(res.raw), c.status)
				}
				if ce := res.header.Get("Content-Encoding"); ce != "" {
					t.Errorf("%s: Content-Encoding %q on a response without a body", c.name, ce)
				}
				chainCORSOK(t, res.header)
				if c.status == 304 {
					// RFC 9110, 15.4.5: a 304 carries the Vary its 200 would.
					if diff := cmp.Diff(chainVary(full.header), chainVary(res.header)); diff != "" {
						t.Errorf("%s: Vary %q, the 200 had %q", c.name, res.header.Values("Vary"), full.header.Values("Vary"))
					}
				}
				if c.method == "HEAD" {
					if n := chainVary(res.header)["Accept-Encoding"]; n != 1 {
						t.Errorf("%s: Vary %q, want Accept-Encoding once", c.name, res.header.Values("Vary"))
					}
					if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
						t.Errorf("%s: Content-Type %q", c.name, ct)
					}
				}
			}
			lines := e.finish(t)
			if len(lines) != len(cases)+1 {
				t.Fatalf("%d log lines, want %d: %+v", len(lines), len(cases)+1, lines)
			}
			for i, c := range cases {
				line := lines[i+1]
				if line.Path != c.path || line.Method != c.method || line.Status != c.status || line.Bytes != 0 {
					t.Errorf("%s: log line %s %s %d, %d bytes; want %s %s %d, 0 bytes",
						c.name, line.Method, line.Path, line.Status, line.Bytes, c.method, c.path, c.status)
				}
			}
		})
	}
}

func TestChainLargeJSONIsCompressedAndTheLogCountsTheWireBytes(t *testing.T) {
	big := chainBig()
	want, err := json.Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 64<<10 {
		t.Fatalf("document of %d bytes, want at least 64 KiB", len(want))
	}
	for _, tc := range chainTimeouts {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("GET /big", micro.Handler(func(r *http.Request) (any, error) { return big, nil }))
			e := chainStart(t, tc.d, mux)
			res := e.do(t, e.req(t, "GET", "/big", nil, "Accept-Encoding", "gzip", "Origin", chainOrigin))
			if res.status != 200 || res.header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("status %d, Content-Encoding %q; want 200 gzip", res.status, res.header.Get("Content-Encoding"))
			}
			if got := res.body(t); !bytes.Equal(bytes.TrimSpace(got), want) {
				t.Errorf("decompressed body differs from the document: %d bytes, want %d", len(got), len(want))
			}
			if len(res.raw) >= len(want)/2 {
				t.Errorf("%d bytes on the wire for a %d-byte document", len(res.raw), len(want))
			}
			if res.header.Get("Content-Length") != "" {
				t.Errorf("Content-Length %q on a gzip response", res.header.Get("Content-Length"))
			}
			if diff := cmp.Diff(map[string]int{"Origin": 1, "Accept-Encoding": 1}, chainVary(res.header)); diff != "" {
				t.Errorf("Vary %q (-want +got):\n%s", res.header.Values("Vary"), diff)
			}
			chainCORSOK(t, res.header)
			line := chainOnly(t, e.finish(t), "/big")
			if line.Status != 200 || line.Bytes != int64(len(res.raw)) {
				t.Errorf("logged status %d, bytes %d; want 200, %d (the compressed bytes)", line.Status, line.Bytes, len(res.raw))
			}
		})
	}
}
