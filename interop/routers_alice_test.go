package interop_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/google/go-cmp/cmp"
	"github.com/justinas/alice"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
	"github.com/rs/cors"
)

// aliceChain is ours (RequestID, Logger, Recover, BodyLimit) mixed in one
// alice chain with chi's NoCache and StripSlashes and rs/cors, around the
// compressors given (outermost first).
func aliceChain(logs io.Writer, compressors ...alice.Constructor) alice.Chain {
	c := cors.New(cors.Options{
		AllowedOrigins:   []string{allowedOrigin},
		AllowedMethods:   []string{"GET", "POST", "PUT"},
		AllowedHeaders:   []string{"Content-Type"},
		AllowCredentials: true,
	})
	return alice.New(
		middleware.RequestID(),
		middleware.Logger(slog.New(slog.NewJSONHandler(logs, nil))),
		chimw.NoCache,
		middleware.Recover(),
		chimw.StripSlashes,
		c.Handler,
		middleware.BodyLimit(bodyLimit),
	).Append(compressors...)
}

// aliceMux is the API on a ServeMux, with GET /whoami answering the
// request ID our RequestID gave the request, as the route sees it.
func aliceMux(a *testAPI) *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range a.routes() {
		mux.Handle(rt.path, rt.h)
	}
	mux.Handle("GET /whoami", micro.Handler(func(r *http.Request) (any, error) {
		return middleware.RequestIDFrom(r), nil
	}))
	mux.Handle("/", notFound)
	return mux
}

// TestAliceChainMixesChiAndRsCORSWithOurs runs ours, chi's middleware and
// rs/cors in one alice chain, with chi's compressor alone and stacked with
// ours either way round, and checks that each keeps its promise: a panic
// under chi's middleware is our 500 problem with one log line, rs/cors
// answers preflights, the route sees our request ID, a response is
// compressed once whatever the stacking, and streams still flush item by
// item.
func TestAliceChainMixesChiAndRsCORSWithOurs(t *testing.T) {
	chiGzip := chimw.Compress(gzip.DefaultCompression)
	ours := middleware.Compress(middleware.CompressConfig{})
	stackings := []struct {
		name        string
		compressors []alice.Constructor
	}{
		{"chi's compressor alone", []alice.Constructor{chiGzip}},
		{"ours outside chi's", []alice.Constructor{ours, chiGzip}},
		{"chi's outside ours", []alice.Constructor{chiGzip, ours}},
	}
	for _, st := range stackings {
		t.Run(st.name, func(t *testing.T) {
			s := startServer(t, func(a *testAPI, logs io.Writer) http.Handler {
				return aliceChain(logs, st.compressors...).Then(aliceMux(a))
			})

			t.Run("panic under chi's middleware is our 500 problem with one log line", func(t *testing.T) {
				for path, route := range map[string]string{"/plain/panic": "/plain/{word}", "/boom": "/boom"} {
					got := s.do(t, request{method: "GET", path: path})
					want := result{
						Status: 500,
						Body:   problemNoDetail(500),
						Log:    []string{"ERROR 500 GET " + path + " " + route + " [error]"},
					}
					if diff := cmp.Diff(want, got, cmpStatusBodyLog); diff != "" {
						t.Errorf("GET %s (-want +got):\n%s", path, diff)
					}
					if cc := got.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
						t.Errorf("GET %s: Cache-Control %q: chi's NoCache did not run", path, cc)
					}
					if ct := got.Header.Get("Content-Type"); ct != "application/problem+json" {
						t.Errorf("GET %s: Content-Type %q", path, ct)
					}
				}
			})

			t.Run("rs/cors answers preflights", func(t *testing.T) {
				for _, c := range []struct {
					origin string
					want   http.Header
				}{
					{allowedOrigin, http.Header{
						"Access-Control-Allow-Origin":      {allowedOrigin},
						"Access-Control-Allow-Methods":     {"PUT"},
						"Access-Control-Allow-Headers":     {"content-type"},
						"Access-Control-Allow-Credentials": {"true"},
					}},
					{fromEvil["Origin"], http.Header{}},
				} {
					got := s.do(t, request{method: "OPTIONS", path: "/things", header: preflight(c.origin)})
					if got.Status != http.StatusNoContent {
						t.Errorf("preflight from %s: status %d, want 204", c.origin, got.Status)
					}
					cors := http.Header{}
					for k, v := range got.Header {
						if strings.HasPrefix(k, "Access-Control-") {
							cors[k] = v
						}
					}
					if diff := cmp.Diff(c.want, cors); diff != "" {
						t.Errorf("preflight from %s: CORS headers (-want +got):\n%s", c.origin, diff)
					}
					if got.Header.Get("Allow") != "" {
						t.Errorf("preflight from %s reached micro.Methods (Allow %q)", c.origin, got.Header.Get("Allow"))
					}
				}
			})

			t.Run("the route sees our request ID", func(t *testing.T) {
				got := s.do(t, request{method: "GET", path: "/whoami", header: map[string]string{"X-Request-Id": "from-client.1"}})
				if got.Body != "from-client.1" || got.Header.Get("X-Request-Id") != "echoed" {
					t.Errorf("route saw %q, response header %q; want the client's ID in both", got.Body, got.Header.Get("X-Request-Id"))
				}
			})

			t.Run("a large body is compressed exactly once", func(t *testing.T) {
				got := s.do(t, request{method: "GET", path: "/things/", header: map[string]string{"Accept-Encoding": "gzip"}})
				if ce := got.Header.Values("Content-Encoding"); !cmp.Equal(ce, []string{"gzip"}) {
					t.Errorf("Content-Encoding %q, want one gzip", ce)
				}
				var things []thing
				if err := json.Unmarshal([]byte(got.Body), &things); err != nil || len(things) != 100 {
					t.Errorf("body decoded once is not the 100 things (%v): %.40q", err, got.Body)
				}
				if got.Log[0] != "INFO 200 GET /things /things" {
					t.Errorf("log %q: want the path StripSlashes left", got.Log)
				}
			})

			t.Run("streams flush item by item", func(t *testing.T) {
				for _, accept := range []string{"application/x-ndjson", "text/event-stream"} {
					got := s.do(t, request{method: "GET", path: "/stream", stream: true,
						header: map[string]string{"Accept": accept, "Accept-Encoding": "gzip"}})
					if got.Status != 200 || len(got.Items) != 3 {
						t.Errorf("Accept %s: status %d, items %q", accept, got.Status, got.Items)
					}
				}
			})
		})
	}
}

// cmpStatusBodyLog compares results on their status, body and log only.
var cmpStatusBodyLog = cmp.FilterPath(func(p cmp.Path) bool {
	f, ok := p.Last().(cmp.StructField)
	return ok && f.Name() != "Status" && f.Name() != "Body" && f.Name() != "Log"
}, cmp.Ignore())
