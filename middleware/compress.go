package middleware

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
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
	// "text/*" for a whole top-level type, matched case-insensitively
	// against the response's Content-Type without its parameters. An entry
	// that is not a media type, has parameters, or is a wildcard other than
	// "type/*" panics; so does "*/*", as compressing JPEG or zip wastes CPU
	// for nothing. Empty means the common text, JSON, XML, JavaScript, SVG,
	// wasm, icon and font types, and any type with a +json or +xml suffix
	// (application/problem+json, application/rss+xml…); a list of one's
	// own has no suffix rule.
	Types []string

	// Streams is how many streams (see [Compress]) this Compress may
	// compress at once; the others are sent uncompressed. A compressed
	// stream holds its gzip writer until it ends, about 795 KiB of heap
	// that an uncompressed one does not. 0, the default, compresses no
	// stream; a negative value panics.
	Streams int
}

// Compress returns a middleware that gzips response bodies for clients
// that accept gzip. Only gzip is offered: every client decodes it, and the
// standard library has no brotli or zstd encoder.
//
// Accept-Encoding is read as RFC 9110 says (q-values, case-insensitive
// codings, "x-gzip", "*"), without allocating, and only its first 512
// bytes over all its lines; without it, or with a malformed weight on every
// gzip entry, nothing is compressed. A body is sent as it is for a HEAD,
// a CONNECT or an Upgrade request, a status without a body, a 206 or a
// Content-Range, a Content-Encoding already set, a media type not in
// Types (a missing Content-Type is sniffed and set, as net/http would) and
// a body shorter than MinSize. A stream (text/event-stream or
// application/x-ndjson without a Content-Length, or a response flushed
// before MinSize bytes) is sent uncompressed and flushed as it is written,
// unless [CompressConfig].Streams lets it be compressed.
//
// A compressed response gets Content-Encoding: gzip, loses its
// Content-Length and has its ETag made weak. Every response of a listed
// type gets Accept-Encoding appended to Vary, compressed or not, once and
// after the values already there. The writer keeps Flush, FlushError,
// Hijack, ReadFrom and Unwrap for [http.ResponseController]. A handler that
// panics leaves the response cut, never a gzip stream that looks whole.
//
// Over TLS, a secret compressed beside text an attacker chooses can leak by
// the size of the result (BREACH): keep such responses out of Compress. An
// invalid cfg panics at construction, with the message of the error
// [CompressConfig.Validate] returns, as does a nil handler.
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
		minSize: minSize,
		types:   compressNewTypes(types, suffixes),
		// Deflate is not offered beside gzip: it is the same algorithm,
		// with a history of client confusion.
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

	// varyExtended is the first Vary of other values that varyAfter
	// extended, with Accept-Encoding last.
	varyExtended atomic.Pointer[[]string]

	// Pooled by each Compress call, so a request allocates nothing for
	// its writers.
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
