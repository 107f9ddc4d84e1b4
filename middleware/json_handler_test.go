package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

// bothHandlers returns our JSONHandler and slog's, each writing to its own
// buffer, with the same options.
func bothHandlers(opts *slog.HandlerOptions) (ours, theirs slog.Handler, ourOut, theirOut *bytes.Buffer) {
	ourOut, theirOut = new(bytes.Buffer), new(bytes.Buffer)
	return middleware.NewJSONHandler(ourOut, opts), slog.NewJSONHandler(theirOut, opts), ourOut, theirOut
}

// sameOutput hands rec to both handlers and fails unless they wrote the
// same bytes.
func sameOutput(t *testing.T, opts *slog.HandlerOptions, derive func(slog.Handler) slog.Handler, rec slog.Record) {
	t.Helper()
	ours, theirs, ourOut, theirOut := bothHandlers(opts)
	if derive != nil {
		ours, theirs = derive(ours), derive(theirs)
	}
	errOurs := ours.Handle(context.Background(), rec.Clone())
	errTheirs := theirs.Handle(context.Background(), rec.Clone())
	if (errOurs == nil) != (errTheirs == nil) {
		t.Errorf("errors differ: ours %v, slog's %v", errOurs, errTheirs)
	}
	if ourOut.String() != theirOut.String() {
		t.Errorf("output differs\nours:  %s\nslog's: %s", ourOut, theirOut)
	}
}

type logValuer struct{}

func (logValuer) LogValue() slog.Value { return slog.StringValue("resolved") }

type marshalingError struct{}

func (marshalingError) Error() string                { return "text" }
func (marshalingError) MarshalJSON() ([]byte, error) { return []byte(`{"as":"json"}`), nil }

func TestJSONHandlerWritesWhatSlogWrites(t *testing.T) {
	when := time.Date(2026, 12, 7, 18, 4, 5, 123456789, time.FixedZone("X", 3600))
	var nilErr *micro.Error
	for _, tc := range []struct {
		name  string
		time  time.Time
		level slog.Level
		msg   string
		attrs []slog.Attr
	}{
		{"the line Logger writes", when, slog.LevelInfo, "request", []slog.Attr{
			slog.String("method", "GET"), slog.String("path", "/api/comments"), slog.Int("status", 200),
			slog.Int64("bytes", 534), slog.Duration("duration", 1234567), slog.String("request_id", "0123456789abcdef0123456789abcdef"),
			slog.String("client_ip", "2001:db8::1"), slog.String("user_agent", "Mozilla/5.0 \"quoted\" \\ <b>&\u2028\x00\xff"),
		}},
		{"no time", time.Time{}, slog.LevelWarn, "m", []slog.Attr{slog.Bool("b", true)}},
		{"whole seconds", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), slog.LevelError, "m", nil},
		{"a tenth of a second", time.Date(2026, 1, 2, 3, 4, 5, 100000000, time.UTC), slog.LevelInfo, "m", nil},
		{"one nanosecond", time.Date(2026, 1, 2, 3, 4, 5, 1, time.UTC), slog.LevelInfo, "m", nil},
		{"nine nines of a second", time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.UTC), slog.LevelInfo, "m", nil},
		{"a fraction with inner and trailing zeros", time.Date(2026, 1, 2, 3, 4, 5, 10203000, time.UTC), slog.LevelInfo, "m", nil},
		{"custom level", when, slog.LevelInfo + 2, "m\n\t\b\f", []slog.Attr{slog.Uint64("u", 1<<63)}},
		{"negative numbers", when, slog.LevelDebug - 3, "", []slog.Attr{slog.Int64("i", -1<<63), slog.Duration("d", -5)}},
		{"time values", when, slog.LevelInfo, "m", []slog.Attr{slog.Time("t", when), slog.Time("zero", time.Time{})}},
		{"empty attributes are left out", when, slog.LevelInfo, "m", []slog.Attr{{}, slog.String("a", "1"), {}}},
		{"empty key", when, slog.LevelInfo, "m", []slog.Attr{slog.String("", "v"), slog.Int("", 0)}},
		{"escaped keys", when, slog.LevelInfo, "m", []slog.Attr{slog.String("k\"ey\n", "v")}},
		{"floats go to slog", when, slog.LevelInfo, "m", []slog.Attr{slog.Float64("f", 1e21), slog.Float64("g", 0.1)}},
		{"groups go to slog", when, slog.LevelInfo, "m", []slog.Attr{slog.Group("g", "a", 1), slog.Group("", "b", 2), slog.Group("empty")}},
		{"log valuers go to slog", when, slog.LevelInfo, "m", []slog.Attr{slog.Any("v", logValuer{})}},
		{"errors go to slog", when, slog.LevelInfo, "m", []slog.Attr{slog.Any("e", errors.New("boom")), slog.Any("m", marshalingError{}), slog.Any("nilptr", nilErr)}},
		{"nil and other values go to slog", when, slog.LevelInfo, "m", []slog.Attr{slog.Any("nil", nil), slog.Any("map", map[string]int{"a": 1})}},
		{"a year of five digits goes to slog", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "m", nil},
		{"a time value of five digits goes to slog", when, slog.LevelInfo, "m", []slog.Attr{slog.Time("t", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC))}},
		{"more attributes than the encoder takes", when, slog.LevelInfo, "m", func() (a []slog.Attr) {
			for i := range 40 {
				a = append(a, slog.Int("k", i))
			}
			return a
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := slog.NewRecord(tc.time, tc.level, tc.msg, 0)
			rec.AddAttrs(tc.attrs...)
			sameOutput(t, nil, nil, rec)
			sameOutput(t, &slog.HandlerOptions{Level: slog.LevelDebug - 10}, nil, rec)
			sameOutput(t, &slog.HandlerOptions{AddSource: true}, nil, rec)
			sameOutput(t, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}, nil, rec)
			sameOutput(t, nil, func(h slog.Handler) slog.Handler { return h.WithAttrs([]slog.Attr{slog.String("svc", "api")}) }, rec)
			sameOutput(t, nil, func(h slog.Handler) slog.Handler { return h.WithGroup("g") }, rec)
		})
	}
}

func FuzzJSONHandler(f *testing.F) {
	f.Add("request", "user_agent", "curl/8.0", int64(200), int64(1234), true, int64(1))
	f.Add("\u2029", "\x7f", "\xed\xa0\x80", int64(-1), int64(0), false, int64(-62135596800))
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", -(7*3600 + 30*60)), time.FixedZone("X", 14*3600)}
	f.Fuzz(func(t *testing.T, msg, key, s string, i, d int64, b bool, unix int64) {
		rec := slog.NewRecord(time.Unix(unix, d).In(zones[uint64(i)%uint64(len(zones))]), slog.Level(i%20), msg, 0)
		rec.AddAttrs(slog.String(key, s), slog.Int64(key, i), slog.Duration(s, time.Duration(d)), slog.Bool(msg, b),
			slog.Uint64("u", uint64(i)), slog.Time("t", time.Unix(i%(1<<40), d)))
		sameOutput(t, nil, nil, rec)
	})
}

// TestLoggerWithJSONHandlerWritesSlogsLine runs requests through Logger with
// each handler: the lines are the same bytes but for the time and the
// duration, which are measured.
func TestLoggerWithJSONHandlerWritesSlogsLine(t *testing.T) {
	measured := regexp.MustCompile(`"time":"[^"]*"|"duration":[0-9]+|"stack":"(\\.|[^"\\])*"`)
	for _, route := range []http.Handler{
		ok,
		micro.Handler(func(*http.Request) (any, error) { return nil, micro.Errorf(404, "none") }),
		micro.Handler(func(*http.Request) (any, error) { return nil, errors.New("down") }),
		micro.Handler(func(*http.Request) (any, error) { panic("boom") }),
	} {
		for _, traced := range []bool{false, true} {
			var ourOut, theirOut bytes.Buffer
			mux := http.NewServeMux()
			mux.Handle("POST /api/{what}", route)
			ours := middleware.RequestID()(middleware.Logger(slog.New(middleware.NewJSONHandler(&ourOut, nil)))(mux))
			theirs := middleware.RequestID()(middleware.Logger(slog.New(slog.NewJSONHandler(&theirOut, nil)))(mux))
			r := httptest.NewRequest("POST", "/api/comments?x=1", nil)
			r.Header.Set("User-Agent", "agent \"with\" quotes\n")
			r.Header.Set("X-Request-Id", "fixed-id")
			if traced {
				r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			}
			ours.ServeHTTP(httptest.NewRecorder(), r)
			theirs.ServeHTTP(httptest.NewRecorder(), r)
			got := measured.ReplaceAllString(ourOut.String(), "")
			want := measured.ReplaceAllString(theirOut.String(), "")
			if got != want || got == "" || !strings.Contains(got, `"route":"POST /api/{what}"`) || traced != strings.Contains(got, `"span_id":"00f067aa0ba902b7"`) {
				t.Errorf("lines differ\nours:  %s\nslog's: %s", ourOut.String(), theirOut.String())
			}
		}
	}
}

// overlapWriter fails when two Writes overlap, which would interleave lines
// in a file opened without O_APPEND or a buffer.
type overlapWriter struct {
	busy     atomic.Bool
	overlaps atomic.Int64
	lines    atomic.Int64
}

func (w *overlapWriter) Write(p []byte) (int, error) {
	if !w.busy.CompareAndSwap(false, true) {
		w.overlaps.Add(1)
		return len(p), nil
	}
	w.lines.Add(1)
	for range 100 {
		_ = p[len(p)-1] // hold the write open a little
	}
	w.busy.Store(false)
	return len(p), nil
}

func TestJSONHandlerSerialisesEveryPath(t *testing.T) {
	var w overlapWriter
	h := middleware.NewJSONHandler(&w, nil)
	loggers := []*slog.Logger{slog.New(h), slog.New(h.WithAttrs([]slog.Attr{slog.Int("a", 1)})), slog.New(h.WithGroup("g"))}
	var wg sync.WaitGroup
	const each = 2000
	for _, l := range loggers {
		for _, float := range []bool{false, true} {
			wg.Go(func() {
				for range each {
					if float {
						l.Info("m", "f", 1.5) // slog's encoder
					} else {
						l.Info("m", "s", "v") // ours, for h itself
					}
				}
			})
		}
	}
	wg.Wait()
	if n := w.overlaps.Load(); n != 0 {
		t.Errorf("%d writes overlapped", n)
	}
	if n := w.lines.Load(); n != int64(len(loggers)*2*each) {
		t.Errorf("%d lines written, want %d", n, len(loggers)*2*each)
	}
}

// TestJSONHandlerTimes writes records of many times through one handler, as
// a server does, so the second kept from one record serves the next.
func TestJSONHandlerTimes(t *testing.T) {
	ours, theirs, ourOut, theirOut := bothHandlers(nil)
	start := time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC)
	for i := range 3000 {
		loc := []*time.Location{time.UTC, time.Local, time.FixedZone("", 5*3600+45*60)}[i%3]
		at := start.Add(time.Duration(i) * 1777 * time.Microsecond).In(loc)
		if i%7 == 0 {
			at = at.Truncate(time.Millisecond)
		}
		rec := slog.NewRecord(at, slog.LevelInfo, "m", 0)
		_ = ours.Handle(context.Background(), rec)
		_ = theirs.Handle(context.Background(), rec)
	}
	if ourOut.String() != theirOut.String() {
		t.Errorf("the lines differ")
	}
}

func TestJSONHandlerReportsWriteErrors(t *testing.T) {
	h := middleware.NewJSONHandler(failingWriter{}, nil)
	if err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)); err == nil {
		t.Error("the writer's error was not returned")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJSONHandlerPanicsWithoutAWriter(t *testing.T) {
	if panicMessage(func() { middleware.NewJSONHandler(nil, nil) }) == "" {
		t.Error("NewJSONHandler(nil) did not panic")
	}
}

func TestJSONHandlerEnabledFollowsTheLevel(t *testing.T) {
	h := middleware.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelWarn) {
		t.Error("Enabled does not follow the Level option")
	}
}

// TestLoggerLineCostsNoAllocation: with a JSONHandler, a request through
// Logger inside a chain that already cloned it allocates nothing.
func TestLoggerLineCostsNoAllocation(t *testing.T) {
	if testkit.RaceEnabled {
		t.Skip("the line's buffer comes from a sync.Pool, which drops items at random under the race detector")
	}
	h := middleware.RequestID()(middleware.Logger(slog.New(middleware.NewJSONHandler(io.Discard, nil)))(ok))
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "test")
	w := &headerOnlyWriter{h: http.Header{}}
	count := func(h http.Handler) float64 {
		return testing.AllocsPerRun(200, func() {
			clear(w.h)
			h.ServeHTTP(w, r)
		})
	}
	// The request's one clone, with its state, and nothing for the line.
	if extra := count(h) - count(ok); extra > 1 {
		t.Errorf("RequestID and Logger allocate %v times per request, want 1", extra)
	}
}

type headerOnlyWriter struct{ h http.Header }

func (w *headerOnlyWriter) Header() http.Header         { return w.h }
func (w *headerOnlyWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *headerOnlyWriter) WriteHeader(int)             {}

// BenchmarkJSONHandler writes Logger's line for a GET through slog's JSON
// handler and through ours.
func BenchmarkJSONHandler(b *testing.B) {
	attrs := []slog.Attr{
		slog.String("method", "GET"), slog.String("path", "/api/comments"), slog.Int("status", 200),
		slog.Int64("bytes", 534), slog.Duration("duration", 12345), slog.String("request_id", "0123456789abcdef0123456789abcdef"),
		slog.String("client_ip", "127.0.0.1"), slog.String("user_agent", "Mozilla/5.0 (bench)"),
	}
	for _, c := range []struct {
		name string
		h    slog.Handler
	}{{"slog", slog.NewJSONHandler(io.Discard, nil)}, {"micro", middleware.NewJSONHandler(io.Discard, nil)}} {
		b.Run("impl="+c.name, func(b *testing.B) {
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				rec := slog.NewRecord(now, slog.LevelInfo, "request", 0)
				rec.AddAttrs(attrs...)
				_ = c.h.Handle(context.Background(), rec)
			}
		})
	}
}

// BenchmarkLoggerLine is a GET through Logger with slog's JSON handler and
// with ours.
func BenchmarkLoggerLine(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/comments", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	for _, c := range []struct {
		name string
		h    slog.Handler
	}{{"slog", slog.NewJSONHandler(io.Discard, nil)}, {"micro", middleware.NewJSONHandler(io.Discard, nil)}} {
		h := middleware.Logger(slog.New(c.h))(ok)
		b.Run("impl="+c.name, func(b *testing.B) {
			w := &headerOnlyWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, r)
			}
		})
	}
}
