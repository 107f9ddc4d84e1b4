package middleware_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	micro "github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

func TestChainETagWithCompress(t *testing.T) {
	big := chainBig()
	want, err := json.Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range chainTimeouts {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("GET /big", middleware.ETag()(micro.Handler(func(r *http.Request) (any, error) {
				return &micro.Response{Header: http.Header{"Cache-Control": {"no-cache"}}, Body: big}, nil
			})))
			e := chainStart(t, tc.d, mux)

			plain := e.do(t, e.req(t, "GET", "/big", nil))
			strong := plain.header.Get("Etag")
			if plain.status != 200 || len(strong) != 24 || strong[0] != '"' || !bytes.Equal(plain.raw, want) {
				t.Fatalf("GET without gzip: %d, ETag %q; want 200, a strong tag, the JSON", plain.status, strong)
			}

			zipped := e.do(t, e.req(t, "GET", "/big", nil, "Accept-Encoding", "gzip"))
			weak := zipped.header.Get("Etag")
			if zipped.status != 200 || zipped.header.Get("Content-Encoding") != "gzip" || weak != "W/"+strong ||
				!bytes.Equal(zipped.body(t), want) {
				t.Fatalf("GET with gzip: %d, Content-Encoding %q, ETag %q; want 200, gzip, %q",
					zipped.status, zipped.header.Get("Content-Encoding"), weak, "W/"+strong)
			}

			cases := []struct {
				name     string
				header   []string
				status   int
				etag     string
				encoding string
			}{
				{"gzip client sending the weak tag back gets 304", []string{"Accept-Encoding", "gzip", "If-None-Match", weak}, 304, weak, ""},
				{"gzip client sending the strong tag gets 304", []string{"Accept-Encoding", "gzip", "If-None-Match", strong}, 304, weak, ""},
				{"plain client sending the weak tag gets 304", []string{"If-None-Match", weak}, 304, strong, ""},
				{"gzip client with a stale tag gets the gzipped 200", []string{"Accept-Encoding", "gzip", "If-None-Match", `W/"stale"`}, 200, weak, "gzip"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					res := e.do(t, e.req(t, "GET", "/big", nil, c.header...))
					if res.status != c.status || res.header.Get("Etag") != c.etag || res.header.Get("Content-Encoding") != c.encoding {
						t.Fatalf("%d, ETag %q, Content-Encoding %q; want %d, %q, %q", res.status,
							res.header.Get("Etag"), res.header.Get("Content-Encoding"), c.status, c.etag, c.encoding)
					}
					if chainVary(res.header)["Accept-Encoding"] != 1 {
						t.Errorf("Vary %q; want Accept-Encoding once", res.header.Values("Vary"))
					}
					if res.header.Get("Cache-Control") != "no-cache" {
						t.Errorf("Cache-Control %q; want the route's no-cache", res.header.Get("Cache-Control"))
					}
					if c.status != 304 {
						return
					}
					if len(res.raw) != 0 || res.header.Get("Content-Type") != "" || res.header.Get("Content-Length") != "" {
						t.Errorf("304 with body %q, Content-Type %q, Content-Length %q; want none",
							res.raw, res.header.Get("Content-Type"), res.header.Get("Content-Length"))
					}
				})
			}
			notModified := 0
			for _, l := range e.finish(t) {
				if l.Status == 304 {
					notModified++
					if l.Bytes != 0 || l.Level != "INFO" {
						t.Errorf("log line of a 304: %+v; want 0 bytes, INFO", l)
					}
				}
			}
			if notModified != 3 {
				t.Errorf("%d log lines of a 304; want 3", notModified)
			}
		})
	}
}
