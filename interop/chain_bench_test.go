package interop_test

import (
	"compress/gzip"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/gorilla/handlers"
	"github.com/justinas/alice"
	"github.com/microkit-go/micro/middleware"
	"github.com/rs/cors"
)

// The chains compared: each does request logging, CORS for one origin with
// credentials, panic recovery and gzip, as close to the same work as each
// library allows. Ours also assigns request IDs, resolves the client IP
// and limits bodies; chi's also assigns request IDs and resolves the client IP.
const benchOrigin = "https://app.example.com"

func microChain(h slog.Handler) alice.Chain {
	return middleware.Default(middleware.DefaultConfig{
		Logger: slog.New(h),
		CORS: &middleware.CORSConfig{
			AllowedOrigins:   []string{benchOrigin},
			AllowedMethods:   []string{"GET", "POST"},
			AllowedHeaders:   []string{"Content-Type"},
			AllowCredentials: true,
		},
	})
}

func gorillaChain() alice.Chain {
	return alice.New(
		func(h http.Handler) http.Handler { return handlers.LoggingHandler(io.Discard, h) },
		handlers.CORS(
			handlers.AllowedOrigins([]string{benchOrigin}),
			handlers.AllowedMethods([]string{"GET", "POST"}),
			handlers.AllowedHeaders([]string{"Content-Type"}),
			handlers.AllowCredentials(),
		),
		handlers.RecoveryHandler(),
		handlers.CompressHandler,
	)
}

func chiChain() alice.Chain {
	logger := chimw.RequestLogger(&chimw.DefaultLogFormatter{Logger: log.New(io.Discard, "", log.LstdFlags), NoColor: true})
	c := cors.New(cors.Options{
		AllowedOrigins:   []string{benchOrigin},
		AllowedMethods:   []string{"GET", "POST"},
		AllowedHeaders:   []string{"Content-Type"},
		AllowCredentials: true,
	})
	return alice.New(chimw.RequestID, chimw.ClientIPFromRemoteAddr, logger, chimw.Recoverer, c.Handler, chimw.Compress(gzip.DefaultCompression)) // the level ours uses
}

// benchWriter keeps nothing; its header map is cleared between requests.
type benchWriter struct{ h http.Header }

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(int)             {}

// jsonRoute answers with body as JSON, the way a hand-written route would.
func jsonRoute(body string) http.Handler {
	b := []byte(body)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
}

func benchChains(b *testing.B, body string) {
	route := jsonRoute(body)
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("Origin", benchOrigin)
	acceptEncoding := []string{"gzip, deflate, br"}
	r.Header.Set("User-Agent", "Mozilla/5.0 (bench)")
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", route},
		{"micro", microChain(slog.NewJSONHandler(io.Discard, nil)).Then(route)},
		// The same chain logging through middleware.JSONHandler: the same
		// bytes as slog's JSON handler, from its own encoder.
		{"micro-jsonhandler", microChain(middleware.NewJSONHandler(io.Discard, nil)).Then(route)},
		// The same chain with logging switched off: what our code costs
		// without the formatting of the log line, which is slog's.
		{"micro-nolog", microChain(slog.DiscardHandler).Then(route)},
		{"gorilla", gorillaChain().Then(route)},
		{"chi+rs-cors", chiChain().Then(route)},
	} {
		b.Run("impl="+c.name, func(b *testing.B) {
			w := &benchWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				r.Header["Accept-Encoding"] = acceptEncoding // gorilla deletes it from the request
				c.h.ServeHTTP(w, r)
			}
			if w.h.Get("Content-Encoding") != "gzip" && c.name != "bare" && (len(body) > 2048 || c.name == "gorilla") {
				b.Fatalf("%s did not compress: %v", c.name, w.h)
			}
		})
	}
}

// BenchmarkChain is a GET of a small JSON body (83 bytes: under our
// compressor's minimum size; gorilla's and chi's have none, so they
// compress it) and of an 8 KiB JSON body, which every chain compresses.
func BenchmarkChain(b *testing.B) {
	small := `{"post":"hello","comments":[{"id":1,"text":"First!"},{"id":2,"text":"Nice post."}]}`
	var large strings.Builder
	large.WriteString(`{"comments":[`)
	for i := 0; large.Len() < 8<<10; i++ {
		if i > 0 {
			large.WriteByte(',')
		}
		large.WriteString(`{"id":1234,"author":"somebody","text":"A comment of moderate length, as people write them."}`)
	}
	large.WriteString(`]}`)
	b.Run("body=small", func(b *testing.B) { benchChains(b, small) })
	b.Run("body=8KiB", func(b *testing.B) { benchChains(b, large.String()) })
}
