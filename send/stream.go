package send

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/microkit-go/micro/internal/httpsyntax"
	"github.com/microkit-go/micro/internal/report"
	"github.com/microkit-go/micro/internal/state"
)

// DefaultHeartbeat is how often an idle server-sent event stream sends a
// comment when its [Stream] sets no Heartbeat: often enough for proxies and
// load balancers that close connections idle for 30 to 60 seconds.
const DefaultHeartbeat = 15 * time.Second

// DefaultWriteTimeout is how long writing one frame of a [Stream] may take
// when the Stream sets no WriteTimeout. A write blocks only once the
// socket buffers between server and client (hundreds of KiB on a usual
// connection) are full, that is when the client has not read for a
// while; a client that reads, however slowly, never meets the deadline.
// 30 s outlasts a network stall that TCP recovers from by retransmitting
// (from a 200 ms timeout doubling each time, seven retries take 25 s) and
// is longer than [DefaultHeartbeat], while a client that stopped reading
// frees its connection, its producer and their memory after 30 s rather
// than never.
const DefaultWriteTimeout = 30 * time.Second

// Stream is a response whose items are sent as they are produced: as
// server-sent events to a client whose Accept header lists
// text/event-stream, else as NDJSON (application/x-ndjson, one compact JSON
// value per line). micro.Stream, micro.Stream2 and micro.StreamChan make
// one from an iterator or a channel. A HEAD request gets the header of the
// stream and Items is not called.
//
// Each item is written and flushed as Items yields it; yield returns only
// once the item is handed to the connection, so a slow client slows the
// producer. An [Event] item sets the id, event and retry fields (NDJSON
// writes only its Data); any other item is the data, as JSON.
//
// An error (yielded, an item that cannot be encoded, a panic in Items other
// than http.ErrAbortHandler) before anything is sent is a problem response,
// as [Error] writes it; after that, it ends the stream with an "error"
// event whose data is the problem JSON, or an NDJSON line {"error":
// problem}, and is logged as [Error] logs it (a panic with its stack). A
// heartbeat before the first item sends the header too.
//
// yield returns false, and Items must return, once the client is gone,
// after an error, or when a frame is not written within WriteTimeout (the
// connection is then closed, or the HTTP/2 stream reset). These deadlines
// replace the server's WriteTimeout, which cuts no stream; a writer that
// cannot take one (a wrapper without Unwrap) streams without. Items gets
// the request's context, to watch while it blocks between items. The
// response carries Cache-Control: no-cache, X-Accel-Buffering: no and Vary:
// Accept; an idle server-sent event stream sends a comment every Heartbeat.
type Stream struct {
	// Items produces the items, calling yield for each in turn, and an
	// error at most once, as the last call. It must return once yield
	// returns false.
	Items func(ctx context.Context, yield func(item any, err error) bool)

	// Heartbeat is the interval of the comment an idle server-sent event
	// stream sends; 0 means [DefaultHeartbeat] and a negative value none.
	Heartbeat time.Duration

	// WriteTimeout is how long writing and flushing one frame may take
	// before the stream ends (at least 7/8 of it: a deadline is renewed
	// once less than that is left); 0 means [DefaultWriteTimeout] and a
	// negative value no deadline. What follows the last frame (a gzip
	// trailer, the end of the chunked body) gets the same time.
	WriteTimeout time.Duration
}

// ServeHTTP streams s with status 200.
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	writeStream(w, r, http.StatusOK, s)
}

// Header values of streams.
var (
	valueEventStream = []string{"text/event-stream"}
	valueNDJSON      = []string{"application/x-ndjson"}
	valueNoCache     = []string{"no-cache"}
	valueNo          = []string{"no"}
)

// streamWriter is one stream being written. mu serialises the producer's
// writes with the heartbeat timer's.
type streamWriter struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	r       *http.Request
	rc      *http.ResponseController
	status  int
	sse     bool
	started bool // the header is sent
	ended   bool // after the last write: an error, a failed write, the end
	beat    time.Duration
	timer   *time.Timer   // the heartbeat; nil without one
	enc     *encoder      // the frame being written
	timeout time.Duration // the write deadline of a frame; 0 once the writer cannot set one
	until   time.Time     // the write deadline set; zero when none
	keep    bool          // the deadline may stay set between frames (HTTP/1.x)
	st      *state.State  // the request's, where the stream and its items are counted; nil without one
}

// writeStream writes s with status, which must be valid.
func writeStream(w http.ResponseWriter, r *http.Request, status int, s *Stream) {
	sw := &streamWriter{
		w:       w,
		r:       r,
		rc:      http.NewResponseController(w),
		status:  status,
		sse:     acceptsEventStream(r.Header["Accept"]),
		enc:     encoders.Get().(*encoder),
		timeout: s.WriteTimeout,
		st:      state.From(r.Context()),
		// HTTP/1.x checks a write deadline only while a write blocks, and
		// every frame renews a stale one; HTTP/2 resets a stream whose
		// deadline passes even while it is idle.
		keep: r.ProtoMajor == 1,
	}
	// The write deadline of each frame is set with
	// http.ResponseController, through the Unwrap methods of the writers
	// wrapping the connection's, and replaces the server's WriteTimeout:
	// that no longer cuts a long stream, nor one whose first write comes
	// after it. A writer that cannot set one (http.ErrNotSupported: a test
	// recorder, a wrapper without Unwrap) gets its frames without a
	// deadline, so a client that stops reading then blocks the producer
	// for as long as it keeps the connection open. Any other error setting
	// the deadline ends the stream, as a failed write does.
	switch {
	case sw.timeout == 0:
		sw.timeout = DefaultWriteTimeout
	case sw.timeout < 0:
		sw.timeout = 0
	}
	defer sw.enc.release()
	if r.Method == http.MethodHead || !httpsyntax.BodyAllowed(status) || s.Items == nil {
		sw.start()
		return
	}
	// Deferred, so that a producer that panics leaves no heartbeat behind
	// to write after the handler has returned.
	defer sw.end()
	if !sw.keep {
		// HTTP/2 resets the stream once the server's WriteTimeout passes,
		// even before the first frame: the frames set their own deadlines.
		sw.deadline(time.Time{})
	}
	if sw.sse {
		sw.beat = s.Heartbeat
		if sw.beat == 0 {
			sw.beat = DefaultHeartbeat
		}
		if sw.beat > 0 {
			sw.mu.Lock() // a tiny beat may fire before sw.timer is set
			sw.timer = time.AfterFunc(sw.beat, sw.heartbeat)
			sw.mu.Unlock()
		}
	}
	sw.produce(s)

	sw.mu.Lock()
	if !sw.started && !sw.ended {
		if sw.arm() { // the server's WriteTimeout may have passed
			sw.start() // an empty stream
		} else {
			sw.ended = true
		}
	}
	sw.mu.Unlock()
}

// produce runs s.Items. The producer is the route's code, so a panic in it
// is treated as micro.Handler treats one in the route: an error, with its
// stack in the log, ending the stream (a 500 problem before the first
// item, an error item after it). http.ErrAbortHandler is panicked again,
// keeping its meaning.
func (sw *streamWriter) produce(s *Stream) {
	defer report.OnPanic(func(p any) {
		err := &producerPanic{value: p, stack: debug.Stack()}
		sw.mu.Lock()
		defer sw.mu.Unlock()
		if sw.ended {
			report.Report(sw.r, err, http.StatusInternalServerError) // nothing more can be sent
			return
		}
		sw.fail(err)
	})
	s.Items(sw.r.Context(), sw.yield)
}

// producerPanic is a panic recovered from a stream's producer: an
// unclassified error, so a 500 whose text and stack are logged, never
// sent. (micro.Recovered makes the same error for micro's routes; send
// cannot import micro, which imports send.)
type producerPanic struct {
	value any
	stack []byte
}

func (p *producerPanic) Error() string {
	return fmt.Sprint("send: panic in a stream's producer: ", p.value)
}

// Stack is the producer's stack at the panic; the error log includes it.
func (p *producerPanic) Stack() []byte { return p.stack }

// Unwrap returns the panic value when it is an error, so errors.Is sees
// through a panic(err).
func (p *producerPanic) Unwrap() error {
	err, _ := p.value.(error)
	return err
}

// end marks the stream ended and stops the heartbeat; a heartbeat already
// waiting for mu sees ended and writes nothing. What is written after the
// stream gets one more WriteTimeout.
func (sw *streamWriter) end() {
	sw.mu.Lock()
	sw.ended = true
	if sw.started {
		sw.deadline(time.Now().Add(sw.timeout))
	}
	sw.mu.Unlock()
	if sw.timer != nil {
		sw.timer.Stop()
	}
}

// frame encodes item as the bytes of one event or line, in sw.enc's buffer.
func (sw *streamWriter) frame(item any) ([]byte, error) {
	b := &sw.enc.buf
	b.Reset()
	data := item
	var e *Event
	switch v := item.(type) {
	case Event:
		e = &v
	case *Event:
		e = v
	}
	if e != nil {
		data = e.Data
		// Checked for NDJSON too, which sends no fields, so that a bad
		// event fails the same way whatever the client reads.
		var fields [128]byte
		f, err := appendEventFields(fields[:0], e)
		if err != nil {
			return nil, err
		}
		if sw.sse {
			b.Write(f)
		}
	}
	if sw.sse {
		b.WriteString("data: ")
	}
	if err := sw.enc.enc.Encode(data); err != nil { // JSON and a newline
		return nil, err
	}
	if sw.sse {
		b.WriteByte('\n') // the blank line that ends the event
	}
	return b.Bytes(), nil
}

// start sends the header of the stream.
func (sw *streamWriter) start() {
	h := sw.w.Header()
	if _, ok := h["Content-Type"]; !ok {
		if sw.sse {
			h["Content-Type"] = valueEventStream
		} else {
			h["Content-Type"] = valueNDJSON
		}
	}
	delete(h, "Content-Length")
	h["Cache-Control"] = valueNoCache
	h["X-Accel-Buffering"] = valueNo
	if !slices.Contains(h["Vary"], "Accept") {
		h["Vary"] = append(h["Vary"], "Accept")
	}
	sw.w.WriteHeader(sw.status)
	sw.started = true
	if sw.st != nil {
		sw.st.Log.Streamed = true
	}
	_ = sw.rc.Flush() // the client sees the stream open before the first item
}

// yield writes one item, or ends the stream with err.
func (sw *streamWriter) yield(item any, err error) bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.ended || sw.r.Context().Err() != nil {
		sw.ended = true
		return false
	}
	if err != nil {
		sw.fail(err)
		return false
	}
	frame, err := sw.frame(item)
	if err != nil {
		sw.fail(err)
		return false
	}
	if !sw.write(frame) {
		return false
	}
	if sw.st != nil {
		sw.st.Log.Items++
	}
	if sw.timer != nil {
		sw.timer.Reset(sw.beat) // only an idle stream needs a heartbeat
	}
	return true
}

// write sends frame, after the header if it is not sent yet, and flushes
// it within the write timeout; false, with the stream ended, when the
// client is gone or has not read it in time.
func (sw *streamWriter) write(frame []byte) bool {
	if !sw.arm() {
		sw.ended = true
		return false
	}
	if !sw.started {
		sw.start()
	}
	if _, err := sw.w.Write(frame); err != nil {
		sw.ended = true
		return false
	}
	if err := sw.rc.Flush(); err != nil {
		sw.ended = true
		return false
	}
	if !sw.keep {
		sw.until = time.Time{}
		sw.deadline(sw.until)
	}
	return true
}

// arm makes sure a write deadline leaves the next frame at least 7/8 of
// the write timeout. Setting one costs as much as writing a small frame,
// so over HTTP/1.x a deadline set less than timeout/8 ago is kept; false
// when the deadline cannot be set.
func (sw *streamWriter) arm() bool {
	if sw.timeout == 0 {
		return true
	}
	now := time.Now()
	if sw.until.Sub(now) >= sw.timeout-sw.timeout/8 {
		return true
	}
	sw.until = now.Add(sw.timeout)
	return sw.deadline(sw.until)
}

// deadline sets the connection's write deadline to t when the stream has
// a write timeout. A writer that cannot set one makes the stream go on
// without (true, and no more tries); any other error is false.
func (sw *streamWriter) deadline(t time.Time) bool {
	if sw.timeout == 0 {
		return true
	}
	err := sw.rc.SetWriteDeadline(t)
	if errors.Is(err, http.ErrNotSupported) {
		sw.timeout = 0
		return true
	}
	return err == nil
}

// fail ends the stream with err: a problem response before the first
// item, a last error item after it.
func (sw *streamWriter) fail(err error) {
	sw.ended = true
	if !sw.started {
		// The server's WriteTimeout may have passed. Error logs the
		// cause even when the deadline cannot be set.
		_ = sw.arm()
		Error(sw.w, sw.r, err)
		return
	}
	b := sw.enc.buf.AvailableBuffer()
	if sw.sse {
		b = append(b, "event: error\ndata: "...)
	} else {
		b = append(b, `{"error":`...)
	}
	b, status, _, public, err := appendProblem(b, err, sw.r)
	if !public || status >= 500 {
		report.Report(sw.r, err, status)
	}
	if sw.sse {
		b = append(b, "\n\n"...)
	} else {
		b = append(b, "}\n"...)
	}
	sw.write(b)
}

// heartbeat runs on the timer's goroutine: a comment line on an idle
// server-sent event stream.
func (sw *streamWriter) heartbeat() {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.ended || sw.r.Context().Err() != nil {
		return
	}
	if sw.write([]byte(":\n\n")) {
		sw.timer.Reset(sw.beat)
	}
}
