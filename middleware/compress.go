package middleware

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// CompressConfig configures [Compress]. The zero value is a working
// configuration: default level, 1024-byte minimum, default type list.
type CompressConfig struct {
	// Level is the gzip level: gzip.BestSpeed (1) to gzip.BestCompression
	// (9), or gzip.HuffmanOnly (-2). 0 means gzip.DefaultCompression, so
	// gzip.NoCompression cannot be chosen: it would add framing and save
	// nothing. Any other value panics.
	Level int

	// MinSize is the smallest body, in bytes, worth compressing; smaller
	// bodies are sent as they are. 0 means 1024; a negative value panics.
	// When the response has no Content-Length, up to MinSize bytes are
	// buffered per request before the decision; buffers over 64 KiB are
	// not pooled.
	MinSize int

	// Types lists the media types to compress, such as "text/html", or
	// "text/*" for a whole top-level type. Entries are matched
	// case-insensitively against the response's Content-Type, whose
	// parameters are ignored. An entry that is not a media type, has
	// parameters, or is a wildcard other than "type/*" panics; "*/*" panics
	// because compressing JPEG or zip wastes CPU for nothing. Empty means
	// the default list, see [Compress].
	Types []string

	// Streams is how many streams may be compressed at once, by this
	// Compress; the others are sent uncompressed. A stream is a response
	// of type text/event-stream or application/x-ndjson without a
	// Content-Length, or one flushed before MinSize bytes were written. A
	// compressed stream holds its gzip writer until it ends: 795 KiB more
	// heap than the same stream uncompressed, which costs no more than
	// without gzip. 0, the default, compresses no stream; a negative value
	// is an error.
	Streams int
}

// Compress returns a middleware that gzips response bodies for clients
// that accept gzip. Only gzip is offered: every browser and HTTP library
// decodes it, the standard library has no brotli or zstd encoder, and
// deflate is the same algorithm with a history of client confusion.
//
// Threat model. Accept-Encoding is attacker-controlled: it is parsed
// without allocating and only its first 512 bytes (over all its lines) are
// read, the rest is ignored, so a 100 KB header costs what a 512-byte one
// does. Compression over TLS can leak a secret (a CSRF token, say) that
// appears in the same response as text an attacker chooses, by the size of
// the result (BREACH); do not put such responses behind Compress, or keep
// the secret out of compressed bodies.
//
// Accept-Encoding is read as RFC 9110 says: q-values are honoured
// ("gzip;q=0" refuses gzip), tokens are case-insensitive, "x-gzip" is
// gzip, and "*" covers gzip unless gzip is listed on its own. A request
// without Accept-Encoding, or with a malformed weight on every gzip
// entry, gets no compression.
//
// The decision is made from the response headers at the first Write,
// WriteHeader, ReadFrom or Flush. The body is sent as it is when the
// request is a HEAD, a CONNECT or carries Upgrade (websockets), when the status has no body
// (1xx, 204, 304), for 206 and any response with Content-Range, when
// Content-Encoding is already set, when the media type is not listed
// (without a Content-Type, the first bytes are sniffed with
// [http.DetectContentType] and the result is set, as net/http would), and
// when the body is shorter than MinSize: by its Content-Length if set,
// otherwise by buffering up to MinSize bytes.
//
// Streams are sent uncompressed, flushed as they are written: a response
// of type text/event-stream or application/x-ndjson without a
// Content-Length (decided at its header), and one flushed before MinSize
// bytes (decided at the Flush). A gzip writer holds its state for as long
// as the response lasts: a compressed stream holds 795 KiB more heap than
// an uncompressed one (measured through [Default]), so 200 open
// server-sent event streams would hold 155 MiB; uncompressed, a stream
// costs what it costs without gzip. [CompressConfig].Streams lets that
// many streams be compressed at once.
//
// A compressed response gets Content-Encoding: gzip, loses its
// Content-Length, and its ETag is made weak (a strong ETag promises the
// bytes on the wire). Every response whose media type is listed gets
// Accept-Encoding appended to Vary, whether or not it was compressed, so a
// shared cache never serves gzip to a client that did not ask for it (so
// does a 304 without Content-Type, as [http.ServeContent] sends it, since
// its 200 may have been compressed);
// existing Vary values (Origin from CORS) are kept and it is never added
// twice.
//
// The response writer keeps Flush and FlushError (the gzip stream is
// flushed, then the connection), Hijack (after which nothing more is
// written), ReadFrom (forwarded unchanged when not compressing, so
// net/http's sendfile path still works) and Unwrap for
// [http.ResponseController]. gzip writers and response writers are pooled
// by each Compress call, so a request allocates nothing for them. A panic in the
// handler is left to unwind: nothing more is written (no gzip trailer that
// would make a cut response look whole) and the request's writers are not
// reused.
//
// The default Types are text/html, text/css, text/plain, text/javascript,
// text/csv, text/markdown, text/xml, text/event-stream, text/calendar,
// text/vtt, application/javascript, application/x-javascript,
// application/json, application/x-ndjson, application/xml,
// application/wasm, image/svg+xml, image/x-icon, font/ttf, font/otf, and
// any type with a +json or +xml suffix (application/problem+json,
// application/rss+xml, application/atom+xml, application/manifest+json,
// application/ld+json…). A custom Types list has no suffix rule.
func Compress(cfg CompressConfig) func(http.Handler) http.Handler {
	mustValid(cfg.Validate())
	level := cfg.Level
	if level == 0 {
		level = gzip.DefaultCompression
	}
	minSize := cfg.MinSize
	if minSize == 0 {
		minSize = compressDefaultMinSize
	}
	types := compressDefaultTypes
	suffixes := true
	if len(cfg.Types) > 0 {
		types, suffixes = cfg.Types, false
	}
	c := &compressor{
		minSize:  minSize,
		types:    compressNewTypes(types, suffixes),
		encoding: []string{"gzip"},
		vary:     []string{"Accept-Encoding"},
		streams:  compressSlots{max: int64(cfg.Streams)},
	}
	c.gzips.New = func() any {
		g := &compressGzip{}
		g.zw, _ = gzip.NewWriterLevel(g, level) // level checked above
		return g
	}
	c.writers.New = func() any { return &compressWriter{c: c} }
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: Compress given a nil handler")
		}
		return &compressHandler{c: c, next: next}
	}
}

// compressDefaultMinSize is the MinSize used when it is 0.
const compressDefaultMinSize = 1024

// compressDefaultTypes is the type list used when Types is empty; the
// +json and +xml suffixes are added to it.
var compressDefaultTypes = []string{
	"text/html", "text/css", "text/plain", "text/javascript", "text/csv",
	"text/markdown", "text/xml", "text/event-stream", "text/calendar", "text/vtt",
	"application/javascript", "application/x-javascript", "application/json",
	"application/x-ndjson", "application/xml", "application/wasm",
	"image/svg+xml", "image/x-icon", "font/ttf", "font/otf",
}

// compressor is what one Compress call builds: the configuration and the
// pools, shared by every handler it wraps.
type compressor struct {
	minSize int
	types   compressTypes

	// encoding and vary are header values assigned without allocating;
	// their capacity is 1, so an append elsewhere copies them.
	encoding []string
	vary     []string

	gzips   sync.Pool // *compressGzip
	writers sync.Pool // *compressWriter

	streams compressSlots // the streams being compressed
}

// compressHandler is the middleware around one handler.
type compressHandler struct {
	c    *compressor
	next http.Handler
}

func (h *compressHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect || len(r.Header["Upgrade"]) > 0 {
		h.next.ServeHTTP(w, r) // the connection is handed over: no body to compress
		return
	}
	cw := h.c.writers.Get().(*compressWriter)
	cw.rw = w
	cw.gzipOK = r.Method != http.MethodHead && compressAcceptsGzip(r.Header["Accept-Encoding"])

	// When the handler panics, nothing more is written (a gzip trailer
	// would make an aborted response look complete) and cw, with its gzip
	// writer, is dropped rather than returned to the pools; only its
	// stream slot, if it holds one, is given back.
	done := false
	defer func() {
		if !done {
			cw.releaseSlot()
		}
	}()
	h.next.ServeHTTP(cw, r)
	cw.finish()
	h.c.release(cw)
	done = true
}

// compressGzip is a pooled gzip writer. It writes through dst, which is
// set for one request and nil in the pool, so a pooled writer keeps no
// response writer alive.
type compressGzip struct {
	zw  *gzip.Writer
	dst io.Writer
}

func (g *compressGzip) Write(p []byte) (int, error) { return g.dst.Write(p) }

// gzip returns a gzip writer that starts a new stream into w.
func (c *compressor) gzip(w io.Writer) *compressGzip {
	g := c.gzips.Get().(*compressGzip)
	g.dst = w
	g.zw.Reset(g) // discards whatever a previous stream left
	return g
}

// compressMaxPooledBuf is the largest body buffer kept with a pooled
// writer; a larger MinSize allocates its buffer per request.
const compressMaxPooledBuf = 64 << 10

// release returns cw and its gzip writer to the pools, cleared, and its
// stream slot.
func (c *compressor) release(cw *compressWriter) {
	cw.releaseSlot()
	if cw.gz != nil {
		cw.gz.dst = nil
		c.gzips.Put(cw.gz)
	}
	buf := cw.buf[:0]
	if cap(buf) > compressMaxPooledBuf {
		buf = nil
	}
	*cw = compressWriter{c: c, buf: buf}
	c.writers.Put(cw)
}

// Validate reports whether [Compress] accepts c: nil, or a [*ConfigError]
// for a Level that is not a gzip level, a negative MinSize, a Types
// entry that is not a media type (type/subtype or type/*) or a negative
// Streams. Compress panics with the same message.
func (c CompressConfig) Validate() error {
	if _, err := gzip.NewWriterLevel(io.Discard, c.Level); c.Level != 0 && err != nil {
		return configError("Compress", fmt.Sprintf("middleware: Compress Level %d is not a gzip level (1 to 9, -2 for Huffman only, 0 for the default)", c.Level))
	}
	if c.MinSize < 0 {
		return configError("Compress", fmt.Sprintf("middleware: Compress MinSize %d is negative", c.MinSize))
	}
	for _, t := range c.Types {
		if _, err := compressValidType(t); err != nil {
			return err
		}
	}
	if c.Streams < 0 {
		return configError("Compress", fmt.Sprintf("middleware: Compress Streams %d is negative", c.Streams))
	}
	return nil
}
