package middleware

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/state"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/send"
)

// Most tests run in a synctest bubble: the clock is fake, so "at the
// deadline" is exact and nothing depends on the machine's speed, and the
// bubble fails the test if a goroutine is left blocked at the end.

const timeoutD = 100 * time.Millisecond

// timeoutResult is what a client sees, for cmp.Diff.
type timeoutResult struct {
	Status int
	Header http.Header
	Body   string
}

func timeoutResultOf(w *httptest.ResponseRecorder) timeoutResult {
	return timeoutResult{Status: w.Code, Header: w.Header(), Body: w.Body.String()}
}

// timeoutProblem checks that w is the 503 problem of a route cut off.
func timeoutProblem(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503; body %q", w.Code, w.Body)
	}
	p := testkit.RecordedProblem(t, w)
	want := "the server did not start its response within " + timeoutD.String()
	if p.Status != 503 || p.Title != "Service Unavailable" || p.Detail != want {
		t.Fatalf("problem = %+v, want 503 Service Unavailable %q", p, want)
	}
}

// timeoutRequest is a request whose errors (the 503s send.Error logs)
// are discarded, to keep the test output readable.
func timeoutRequest(target string) *http.Request {
	r, s := state.Attach(httptest.NewRequest("GET", target, nil))
	s.Log.Logger = slog.New(slog.DiscardHandler)
	return r
}

// timeoutQuiet does what timeoutRequest does, for a server's requests.
func timeoutQuiet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, s := state.Attach(r)
		s.Log.Logger = slog.New(slog.DiscardHandler)
		h.ServeHTTP(w, r)
	})
}

// timeoutBlocked is a route that sets a header, then waits for release
// ignoring its context, then runs after (if any) with what it is given.
type timeoutBlocked struct {
	release  chan struct{}
	returned chan struct{}
	after    func(w http.ResponseWriter, r *http.Request)
}

func newTimeoutBlocked(after func(http.ResponseWriter, *http.Request)) *timeoutBlocked {
	return &timeoutBlocked{release: make(chan struct{}), returned: make(chan struct{}), after: after}
}

func (b *timeoutBlocked) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer close(b.returned)
	w.Header().Set("X-Route", "set before the timeout")
	w.Header().Set("Content-Type", "text/plain")
	<-b.release
	if b.after != nil {
		b.after(w, r)
	}
}

// running reports whether the route has not returned yet.
func (b *timeoutBlocked) running() bool {
	select {
	case <-b.returned:
		return false
	default:
		return true
	}
}

func (b *timeoutBlocked) finish() {
	close(b.release)
	<-b.returned
}

func TestTimeoutConfigurationPanics(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    func()
	}{
		{"zero duration panics", func() { Timeout(0) }},
		{"negative duration panics", func() { Timeout(-time.Second) }},
		{"nil handler panics", func() { Timeout(time.Second)(nil) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg, _ := testkit.Recover(tt.f).(string)
			if !strings.HasPrefix(msg, "middleware: Timeout") {
				t.Fatalf("panic = %q, want a message starting %q", msg, "middleware: Timeout")
			}
		})
	}
}

func TestTimeoutRouteIgnoringContextGets503AtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var lateErrs []error
		route := newTimeoutBlocked(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Late", "1")
			w.WriteHeader(http.StatusTeapot)
			_, err := w.Write([]byte("late"))
			lateErrs = append(lateErrs, err)
			_, err = w.(io.ReaderFrom).ReadFrom(strings.NewReader("late"))
			lateErrs = append(lateErrs, err)
			lateErrs = append(lateErrs, http.NewResponseController(w).Flush())
			_, _, err = http.NewResponseController(w).Hijack()
			lateErrs = append(lateErrs, err)
			lateErrs = append(lateErrs, http.NewResponseController(w).SetWriteDeadline(time.Now()))
			lateErrs = append(lateErrs, http.NewResponseController(w).SetReadDeadline(time.Now()))
			lateErrs = append(lateErrs, http.NewResponseController(w).EnableFullDuplex())
		})
		w := httptest.NewRecorder()
		w.Header().Set("X-Outer", "set before the middleware")
		start := time.Now()
		Timeout(timeoutD)(route).ServeHTTP(w, timeoutRequest("/slow"))

		if !route.running() {
			t.Fatal("the route returned: the 503 must come while it is still blocked")
		}
		if waited := time.Since(start); waited != timeoutD {
			t.Errorf("answered after %v of fake time, want exactly the deadline %v", waited, timeoutD)
		}
		timeoutProblem(t, w)
		if got := w.Header().Get("X-Route"); got != "" {
			t.Errorf("X-Route = %q: a header the route set before the timeout leaked into the 503", got)
		}
		if got := w.Header().Get("X-Outer"); got == "" {
			t.Error("X-Outer, set before the middleware, is missing from the 503")
		}
		before := timeoutResultOf(w)
		before.Header = before.Header.Clone()

		route.finish()
		for i, err := range lateErrs {
			if !errors.Is(err, http.ErrHandlerTimeout) {
				t.Errorf("late call %d returned %v, want http.ErrHandlerTimeout", i, err)
			}
		}
		if diff := cmp.Diff(before, timeoutResultOf(w)); diff != "" {
			t.Errorf("the route's writes after the 503 reached the response (-before +after):\n%s", diff)
		}
	})
}

func TestTimeoutRouteContextAtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type seen struct {
			Deadline      time.Time
			HasDeadline   bool
			Err           error
			CauseIsDE     bool
			ChildErr      error
			ChildCauseDE  bool
			WriteAfterErr error
		}
		var got seen
		finished := make(chan struct{})
		start := time.Now()
		h := Timeout(timeoutD)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer close(finished)
			ctx := r.Context()
			got.Deadline, got.HasDeadline = ctx.Deadline()
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			<-ctx.Done()
			<-child.Done()
			got.Err = ctx.Err()
			got.CauseIsDE = errors.Is(context.Cause(ctx), context.DeadlineExceeded)
			got.ChildErr = child.Err()
			got.ChildCauseDE = errors.Is(context.Cause(child), context.DeadlineExceeded)
			_, got.WriteAfterErr = w.Write([]byte("too late"))
		}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, timeoutRequest("/"))
		<-finished
		timeoutProblem(t, w)
		want := seen{
			Deadline:      start.Add(timeoutD),
			HasDeadline:   true,
			Err:           context.DeadlineExceeded,
			CauseIsDE:     true,
			ChildErr:      context.Canceled, // documented: derived contexts see Canceled ...
			ChildCauseDE:  true,             // ... with a cause wrapping DeadlineExceeded
			WriteAfterErr: http.ErrHandlerTimeout,
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
			t.Errorf("route context (-want +got):\n%s", diff)
		}
	})
}

func TestTimeoutParentDeadlineEarlierIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithTimeout(context.Background(), timeoutD/2)
		defer cancel()
		var dl time.Time
		var err error
		h := Timeout(timeoutD)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			dl, _ = r.Context().Deadline()
			<-r.Context().Done()
			err = r.Context().Err()
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(parent))
		if want, _ := parent.Deadline(); !dl.Equal(want) {
			t.Errorf("Deadline = %v, want the parent's earlier %v", dl, want)
		}
		if err != context.DeadlineExceeded {
			t.Errorf("Err = %v, want the parent's context.DeadlineExceeded", err)
		}
	})
}

func TestTimeoutParentCancelPropagates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		var err error
		h := Timeout(timeoutD)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cancel() // the client goes away while the route works
			<-r.Context().Done()
			err = r.Context().Err()
		}))
		start := time.Now()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil).WithContext(parent))
		if err != context.Canceled {
			t.Errorf("route's Err = %v, want the parent's context.Canceled", err)
		}
		if time.Since(start) != 0 {
			t.Error("the middleware waited for the deadline after the route returned")
		}
		if w.Code == http.StatusServiceUnavailable {
			t.Error("a route that returned in time got a 503")
		}
	})
}

func TestTimeoutClientGoneAtDeadlineIs499NotLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs testkit.Log
		parent, cancel := context.WithCancel(context.Background())
		r, s := state.Attach(httptest.NewRequest("GET", "/", nil).WithContext(parent))
		s.Log.Logger = logs.JSONLogger(slog.LevelInfo)
		route := newTimeoutBlocked(nil)
		h := Timeout(timeoutD)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cancel()
			route.ServeHTTP(w, r)
		}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != send.StatusClientClosedRequest {
			t.Errorf("status = %d, want %d when the client is gone at the deadline", w.Code, send.StatusClientClosedRequest)
		}
		if logs.String() != "" {
			t.Errorf("logged %q, want nothing at Info level", logs.String())
		}
		route.finish()
	})
}

func TestTimeoutRouteInTimeIsUnaffected(t *testing.T) {
	for _, tt := range []struct {
		name  string
		route http.HandlerFunc
	}{
		{"status, headers and body pass through", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Route", "1")
			w.Header().Del("X-Outer-Deleted")
			w.Header().Add("Vary", "Accept-Encoding")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, "created")
		}},
		{"headers without a write are sent with the implicit 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Route", "1")
		}},
		{"nothing written is an empty 200", func(w http.ResponseWriter, r *http.Request) {}},
		{"ReadFrom writes the body", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(w, strings.NewReader("copied"))
		}},
		{"Flush before the body sends 200", func(w http.ResponseWriter, r *http.Request) {
			http.NewResponseController(w).Flush()
			_, _ = io.WriteString(w, "after flush")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := func(h http.Handler) *httptest.ResponseRecorder {
				w := httptest.NewRecorder()
				w.Header().Set("Vary", "Origin")
				w.Header().Set("X-Outer-Deleted", "1")
				h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
				return w
			}
			want := run(tt.route)
			got := run(Timeout(time.Minute)(tt.route))
			if diff := cmp.Diff(timeoutResultOf(want), timeoutResultOf(got)); diff != "" {
				t.Errorf("response under Timeout differs from the bare route's (-bare +timeout):\n%s", diff)
			}
			if got.Flushed != want.Flushed {
				t.Errorf("Flushed = %v, want %v", got.Flushed, want.Flushed)
			}
		})
	}
}

func TestTimeoutStartedStreamIsNotCut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var errAfter error
		h := Timeout(timeoutD)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "first\n")
			http.NewResponseController(w).Flush()
			time.Sleep(3 * timeoutD) // long past the deadline, in fake time
			synctest.Wait()          // the middleware's deadline has been handled
			errAfter = r.Context().Err()
			for range 3 {
				_, _ = io.WriteString(w, "more\n")
				http.NewResponseController(w).Flush()
				time.Sleep(timeoutD)
			}
		}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/stream", nil))
		if errAfter != nil {
			t.Errorf("ctx.Err() after the deadline = %v, want nil: a started response's deadline is lifted", errAfter)
		}
		want := timeoutResult{Status: 200, Header: w.Header(), Body: "first\nmore\nmore\nmore\n"}
		if diff := cmp.Diff(want, timeoutResultOf(w)); diff != "" {
			t.Errorf("stream (-want +got):\n%s", diff)
		}
		if !w.Flushed {
			t.Error("Flush did not reach the real writer")
		}
	})
}

func TestTimeoutPanics(t *testing.T) {
	errBoom := errors.New("boom")
	for _, tt := range []struct {
		name  string
		route http.HandlerFunc
		want  any
	}{
		{"panic before the deadline is re-panicked in the caller", func(w http.ResponseWriter, r *http.Request) {
			panic(errBoom)
		}, errBoom},
		{"http.ErrAbortHandler is re-panicked as is", func(w http.ResponseWriter, r *http.Request) {
			panic(http.ErrAbortHandler)
		}, http.ErrAbortHandler},
		{"panic after the deadline in a started response is re-panicked", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			time.Sleep(2 * timeoutD)
			panic("late but started")
		}, "late but started"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				defer func() {
					p := recover()
					if tt.want == http.ErrAbortHandler {
						if p != tt.want {
							t.Fatalf("recovered %v in the caller's goroutine, want it as is", p)
						}
						return
					}
					// Any other panic comes back as an error carrying the
					// route goroutine's stack, unwrapping to an error value.
					pe, ok := p.(*micro.Error)
					if !ok {
						t.Fatalf("recovered %T %v in the caller's goroutine, want a *micro.Error", p, p)
					}
					if want := fmt.Sprint("panic: ", tt.want); pe.Error() != want {
						t.Errorf("message %q, want %q", pe.Error(), want)
					}
					if err, isErr := tt.want.(error); isErr && !errors.Is(pe, err) {
						t.Errorf("errors.Is(%v, %v) = false", pe, err)
					}
					if !strings.Contains(string(pe.Stack()), "TestTimeoutPanics.func") {
						t.Errorf("stack does not show the route:\n%s", pe.Stack())
					}
				}()
				Timeout(timeoutD)(tt.route).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
				t.Fatal("ServeHTTP returned without panicking")
			})
		})
	}
}

func TestTimeoutPanicAfter503IsLoggedNotCrashing(t *testing.T) {
	for _, tt := range []struct {
		name    string
		value   any
		wantLog bool
	}{
		{"a panic after the 503 is logged with its stack", "late boom", true},
		{"http.ErrAbortHandler after the 503 is dropped silently", http.ErrAbortHandler, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs testkit.Log
				r, s := state.Attach(httptest.NewRequest("GET", "/late", nil))
				s.Log.Logger = logs.JSONLogger(slog.LevelInfo)
				route := newTimeoutBlocked(func(http.ResponseWriter, *http.Request) { panic(tt.value) })
				// The first line is the 503's, which send.Error logs as any 5xx.
				w := httptest.NewRecorder()
				Timeout(timeoutD)(route).ServeHTTP(w, r)
				timeoutProblem(t, w)
				route.finish()
				synctest.Wait() // the route goroutine has logged and exited

				if !tt.wantLog {
					if strings.Contains(logs.String(), "panic") {
						t.Errorf("logged %q, want no panic line", logs.String())
					}
					return
				}
				var line struct {
					Level, Msg, Method, Path, Error, Stack string
				}
				for l := range strings.Lines(logs.String()) {
					if strings.Contains(l, "panic") {
						if err := json.Unmarshal([]byte(l), &line); err != nil {
							t.Fatalf("log %q: %v", l, err)
						}
					}
				}
				if line.Level != "ERROR" || line.Method != "GET" || line.Path != "/late" ||
					!strings.Contains(line.Error, "late boom") || !strings.Contains(line.Stack, "timeoutBlocked") {
					t.Errorf("log line = %+v, want an ERROR for GET /late with the panic and its stack", line)
				}
			})
		})
	}
}

func TestTimeoutSharedState(t *testing.T) {
	errDB := errors.New("db down")
	t.Run("a cause reported in time reaches the chain", func(t *testing.T) {
		r, s := state.Attach(httptest.NewRequest("GET", "/", nil))
		s.Log.Reporting, s.Data.RequestID = true, "req-1"
		var seenID string
		h := Timeout(time.Minute)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seenID = state.From(r.Context()).Data.RequestID
			send.Error(w, r, errDB)
		}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if seenID != "req-1" {
			t.Errorf("route saw request ID %q, want req-1", seenID)
		}
		if s.Log.Cause != errDB || w.Code != 500 {
			t.Errorf("Cause = %v, status %d; want %v, 500", s.Log.Cause, w.Code, errDB)
		}
	})
	t.Run("a route finishing after the 503 does not write the chain's state", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r, s := state.Attach(httptest.NewRequest("GET", "/", nil))
			s.Log.Reporting = true
			route := newTimeoutBlocked(func(w http.ResponseWriter, r *http.Request) {
				send.Error(w, r, errDB) // what micro.Handler does with a late error
			})
			w := httptest.NewRecorder()
			Timeout(timeoutD)(route).ServeHTTP(w, r)
			timeoutProblem(t, w)
			close(route.release)
			cause := s.Log.Cause // read while the route may be writing: -race watches
			<-route.returned
			var se *micro.Error
			if !errors.As(cause, &se) || se.StatusCode() != 503 || s.Log.Cause != cause {
				t.Errorf("Cause = %v, want the 503 and never the route's late error", s.Log.Cause)
			}
		})
	})
}

func TestTimeoutJoinCopiesEveryExportedStateField(t *testing.T) {
	var own, shared state.State
	samples := map[reflect.Type]any{
		reflect.TypeFor[*slog.Logger]():      slog.Default(),
		reflect.TypeFor[bool]():              true,
		reflect.TypeFor[error]():             errors.New("cause"),
		reflect.TypeFor[string]():            "x",
		reflect.TypeFor[netip.Addr]():        netip.MustParseAddr("192.0.2.1"),
		reflect.TypeFor[map[string]string](): map[string]string{"a": "b"},
		reflect.TypeFor[[][]byte]():          [][]byte{[]byte("k")},
		reflect.TypeFor[int64]():             int64(1),
	}
	// State groups its data in exported structs (Log, Data): every field
	// of each is set in own, and must be found in shared after the join.
	v := reflect.ValueOf(&own).Elem()
	for i := range v.NumField() {
		group := v.Type().Field(i)
		if !group.IsExported() {
			continue
		}
		if group.Type.Kind() != reflect.Struct {
			t.Fatalf("state.State.%s is not a struct of fields (%s): teach this test, and check timeoutJoin", group.Name, group.Type)
		}
		for j := range group.Type.NumField() {
			field := group.Type.Field(j)
			sample, ok := samples[field.Type]
			if !ok {
				t.Fatalf("state.State.%s.%s has a type this test does not know (%s): teach it, and check timeoutJoin",
					group.Name, field.Name, field.Type)
			}
			v.Field(i).Field(j).Set(reflect.ValueOf(sample))
		}
	}
	timeoutJoin(&shared, &own)
	sv := reflect.ValueOf(&shared).Elem()
	for i := range v.NumField() {
		group := v.Type().Field(i)
		if !group.IsExported() {
			continue
		}
		for j := range group.Type.NumField() {
			if sv.Field(i).Field(j).IsZero() {
				t.Errorf("timeoutJoin does not copy state.State.%s.%s", group.Name, group.Type.Field(j).Name)
			}
		}
	}
}

func TestTimeoutDerivedContextsSpawnNoGoroutine(t *testing.T) {
	var counts [2]int
	h := Timeout(time.Minute)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counts[0] = runtime.NumGoroutine()
		var cancels []context.CancelFunc
		for range 100 {
			_, cancel := context.WithCancel(r.Context())
			cancels = append(cancels, cancel)
		}
		counts[1] = runtime.NumGoroutine()
		for _, c := range cancels {
			c()
		}
	}))
	// A parent that can be canceled, as a server's request context is.
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(parent))
	if counts[1] > counts[0] {
		t.Errorf("100 context.WithCancel children started %d goroutines, want 0", counts[1]-counts[0])
	}
}

// timeoutServer serves h on a real connection, for what a recorder cannot
// show: a response that reaches the client while the route is blocked,
// Flush through to the client, and no goroutine left behind.
func timeoutServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestTimeoutOverTheNetwork(t *testing.T) {
	baseline := runtime.NumGoroutine()
	const d = 50 * time.Millisecond

	t.Run("the client gets the 503 while the route is blocked", func(t *testing.T) {
		route := newTimeoutBlocked(nil)
		srv := timeoutServer(t, timeoutQuiet(Timeout(d)(route)))
		res, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !route.running() {
			t.Fatal("the route returned before the client got its answer")
		}
		if res.StatusCode != 503 || res.Header.Get("X-Route") != "" || !strings.Contains(string(body), `"status":503`) {
			t.Errorf("got %d %v %q, want the 503 problem without X-Route", res.StatusCode, res.Header, body)
		}
		route.finish()
	})

	t.Run("a stream flushed before the deadline keeps producing after it", func(t *testing.T) {
		gotFirst := make(chan struct{})
		var errAfter error
		srv := timeoutServer(t, Timeout(d)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "first\n")
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("Flush: %v", err)
			}
			<-gotFirst // the client read it: Flush went through
			dl, _ := r.Context().Deadline()
			time.Sleep(time.Until(dl) + d) // let the deadline pass, then go on streaming
			errAfter = r.Context().Err()
			_, _ = io.WriteString(w, "second\n")
		})))
		res, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		br := bufio.NewReader(res.Body)
		first, _ := br.ReadString('\n')
		close(gotFirst)
		rest, _ := io.ReadAll(br)
		if res.StatusCode != 200 || first+string(rest) != "first\nsecond\n" {
			t.Errorf("got %d %q, want 200 %q", res.StatusCode, first+string(rest), "first\nsecond\n")
		}
		if errAfter != nil {
			t.Errorf("ctx.Err() after the deadline = %v, want nil while streaming", errAfter)
		}
	})

	// No goroutine is left behind, the routes' included: the subtests'
	// servers are closed by now.
	var n int
	for range 200 { // a bounded wait while the connections wind down
		if n = runtime.NumGoroutine(); n <= baseline {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Errorf("%d goroutines, %d before:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
}

// Routes write just around the deadline; run with -race.
func TestTimeoutWritesRacingTheDeadlineAreSafe(t *testing.T) {
	for range 50 {
		var wg sync.WaitGroup
		wg.Add(1)
		h := Timeout(time.Millisecond)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer wg.Done()
			w.Header().Set("X-Route", "1")
			time.Sleep(time.Millisecond)
			_, _ = w.Write([]byte("maybe"))
		}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, timeoutRequest("/"))
		if w.Code == 503 && w.Header().Get("X-Route") != "" {
			t.Fatal("X-Route leaked into a 503")
		}
		if w.Code == 200 && w.Body.String() != "maybe" {
			t.Fatalf("200 with body %q, want %q", w.Body, "maybe")
		}
		wg.Wait()
	}
}

// timeoutHeaderLog records each WriteHeader with the header it sent.
type timeoutHeaderLog struct {
	h     http.Header
	calls []timeoutHeaderCall
}

type timeoutHeaderCall struct {
	Code int
	Link string
}

func (w *timeoutHeaderLog) Header() http.Header         { return w.h }
func (w *timeoutHeaderLog) Write(b []byte) (int, error) { return len(b), nil }
func (w *timeoutHeaderLog) WriteHeader(code int) {
	w.calls = append(w.calls, timeoutHeaderCall{code, w.h.Get("Link")})
}

func TestTimeoutEarlyHintsStartNothing(t *testing.T) {
	for _, tt := range []struct {
		name string
		slow bool
		want []timeoutHeaderCall
	}{
		{"a 103 goes out with the route's headers, and the 503 without them", true,
			[]timeoutHeaderCall{{103, "</app.css>; rel=preload"}, {503, ""}}},
		{"a route in time keeps its headers after a 103", false,
			[]timeoutHeaderCall{{103, "</app.css>; rel=preload"}, {200, "</app.css>; rel=preload"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				h := Timeout(timeoutD)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Link", "</app.css>; rel=preload")
					w.WriteHeader(http.StatusEarlyHints)
					if tt.slow {
						<-release
					}
					w.WriteHeader(http.StatusOK)
				}))
				w := &timeoutHeaderLog{h: make(http.Header)}
				h.ServeHTTP(w, timeoutRequest("/"))
				close(release)
				synctest.Wait()
				if diff := cmp.Diff(tt.want, w.calls); diff != "" {
					t.Errorf("WriteHeader calls (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// timeoutGuard bounds every wait of these tests. The code answers within
// the middleware's deadline (50ms); the guard only turns a hang into a
// failure, so the tests assert no time.
const timeoutGuard = 10 * time.Second

// timeoutBodyRoute reads the whole body, ignoring its context, and then
// tries once more; it reports both errors on reads when it returns.
type timeoutBodyRoute struct {
	reads chan [2]error
}

func newTimeoutBodyRoute() *timeoutBodyRoute {
	return &timeoutBodyRoute{reads: make(chan [2]error, 1)}
}

func (b *timeoutBodyRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var errs [2]error
	_, errs[0] = io.ReadAll(r.Body)
	_, errs[1] = r.Body.Read(make([]byte, 8))
	b.reads <- errs
}

// wait returns the route's read errors once it has returned.
func (b *timeoutBodyRoute) wait(t *testing.T) [2]error {
	t.Helper()
	select {
	case errs := <-b.reads:
		return errs
	case <-time.After(timeoutGuard):
		t.Fatal("the route is still blocked reading the body")
		return [2]error{}
	}
}

// timeoutSend writes req on a new connection to srv and reads the
// response; more responses can be read from the returned reader.
func timeoutSend(t *testing.T, srv *httptest.Server, req string) (*http.Response, string, *bufio.Reader) {
	t.Helper()
	br := testkit.Send(t, srv, req)
	res, body := timeoutRead(t, br)
	return res, body, br
}

// timeoutRead reads a response from br.
func timeoutRead(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	res := testkit.ReadResponse(t, br)
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// timeoutIs503 checks that res and body are Timeout's 503 problem.
func timeoutIs503(t *testing.T, res *http.Response, body string) {
	t.Helper()
	p := testkit.Problem(t, res.Header, []byte(body))
	if res.StatusCode != 503 || p.Status != 503 || !strings.Contains(p.Detail, "did not start its response") {
		t.Errorf("got %d %q, want the 503 problem", res.StatusCode, body)
	}
}

func TestTimeoutAnswersWhileTheRouteIsBlockedOnTheBody(t *testing.T) {
	const d = 50 * time.Millisecond
	quiet := DefaultConfig{Logger: slog.New(slog.DiscardHandler)}
	for _, tt := range []struct {
		name  string
		chain func(http.Handler) http.Handler
		head  string
		part  string
	}{
		{
			name:  "Content-Length body stalled, Timeout alone",
			chain: func(h http.Handler) http.Handler { return timeoutQuiet(Timeout(d)(h)) },
			head:  "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
			part:  `{"partial":`,
		},
		{
			name:  "chunked body stalled, Timeout alone",
			chain: func(h http.Handler) http.Handler { return timeoutQuiet(Timeout(d)(h)) },
			head:  "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
			part:  "b\r\n{\"partial\":\r\n",
		},
		{
			name:  "Content-Length body stalled, Timeout inside Default (BodyLimit)",
			chain: Default(quiet).Append(Timeout(d)).Then,
			head:  "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
			part:  `{"partial":`,
		},
		{
			name: "chunked body stalled under the limit, Timeout inside Default (BodyLimit 16)",
			chain: func() func(http.Handler) http.Handler {
				cfg := quiet
				cfg.BodyLimit = 16
				return Default(cfg).Append(Timeout(d)).Then
			}(),
			head: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
			part: "b\r\n{\"partial\":\r\n",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			route := newTimeoutBodyRoute()
			srv := timeoutServer(t, tt.chain(route))              // no ReadTimeout
			res, body, br := timeoutSend(t, srv, tt.head+tt.part) // and no more
			timeoutIs503(t, res, body)
			if !res.Close {
				t.Errorf("Connection = %q, want close: the body was left unread", res.Header.Get("Connection"))
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("after the 503 the connection gave %v, want io.EOF (closed)", err)
			}
			errs := route.wait(t)
			if errs[0] == nil {
				t.Error("the route's blocked read returned no error")
			}
			if !errors.Is(errs[1], http.ErrHandlerTimeout) {
				t.Errorf("a read after the 503 returned %v, want http.ErrHandlerTimeout", errs[1])
			}
		})
	}
}

// A read that passes BodyLimit tells net/http's response to close the
// connection; the 503 written at the deadline must not race with it. The
// route reads past the limit, then waits, touching nothing the middleware
// touches (not even its context), so only the middleware can order the
// two. Run with -race.
func TestTimeoutBodyPastTheLimitThen503IsRaceFree(t *testing.T) {
	const d = 50 * time.Millisecond
	cfg := DefaultConfig{Logger: slog.New(slog.DiscardHandler), BodyLimit: 16}
	release := make(chan struct{})
	srv := timeoutServer(t, Default(cfg).Append(Timeout(d)).Then(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // stops at the limit, with *http.MaxBytesError
		<-release
	})))
	t.Cleanup(func() { close(release) }) // before the server closes
	chunk := strings.Repeat("x", 40)
	res, body, _ := timeoutSend(t, srv,
		"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n28\r\n"+chunk+"\r\n0\r\n\r\n")
	timeoutIs503(t, res, body)
	if !res.Close {
		t.Errorf("Connection = %q, want close: the body passed the limit", res.Header.Get("Connection"))
	}
}

// A route that read its body to the end before the deadline leaves the
// connection able to carry the next request: the 503 does not close it.
func TestTimeoutBodyReadToItsEndKeepsTheConnection(t *testing.T) {
	const d = 50 * time.Millisecond
	srv := timeoutServer(t, timeoutQuiet(Timeout(d)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, "next")
			return
		}
		_, _ = io.ReadAll(r.Body)
		<-r.Context().Done()
	}))))
	res, body, br := timeoutSend(t, srv,
		"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody"+
			"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
	timeoutIs503(t, res, body)
	if res.Close {
		t.Error("the 503 closed the connection, though the body was read to its end")
	}
	if res, body := timeoutRead(t, br); res.StatusCode != 200 || body != "next" {
		t.Errorf("next request on the connection: got %d %q, want 200 \"next\"", res.StatusCode, body)
	}
}

// Over HTTP/2, net/http lets a route end a read blocked on the body by
// closing the body; under Timeout too, so the route answers itself
// rather than waiting for the deadline.
func TestTimeoutBodyCloseEndsAReadInFlight(t *testing.T) {
	const d = timeoutGuard / 2 // far longer than the route takes
	srv := httptest.NewUnstartedServer(timeoutQuiet(Timeout(d)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reading, read := make(chan struct{}), make(chan error, 1)
		go func() {
			_, err := r.Body.Read(make([]byte, 64)) // the part sent
			close(reading)
			if err == nil {
				_, err = io.ReadAll(r.Body) // blocks: the client sends no more
			}
			read <- err
		}()
		<-reading
		time.Sleep(10 * time.Millisecond) // lets the read block, or not: either way it must end
		_ = r.Body.Close()
		_, _ = io.WriteString(w, fmt.Sprint("read ended: ", <-read))
	}))))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	go pw.Write([]byte(`{"partial":`))
	req, err := http.NewRequest("POST", srv.URL, pr)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.ProtoMajor != 2 || res.StatusCode != 200 || !strings.HasPrefix(string(body), "read ended: ") {
		t.Errorf("got %s %d %q; want the route's own HTTP/2 200, its read ended by Close", res.Proto, res.StatusCode, body)
	}
}

// A route still running after its 503 may reach for the writer below
// through Unwrap, or through http.ResponseController on either. Behind
// Compress that writer is pooled and may already serve the next request:
// nothing the late route does may show in it. Run with -race.
func TestTimeoutRouteAfterItsTimeoutReachesNoOtherResponse(t *testing.T) {
	const (
		d    = 20 * time.Millisecond
		runs = 50
		leak = "LEAKED BY A ROUTE AFTER ITS TIMEOUT"
	)
	fastBody := strings.Repeat("the next request's own body. ", 100) // gzipped by Compress

	fastIn := make(chan struct{})     // the next request is being served
	tried := make(chan struct{}, 1)   // the late route has tried every path
	lateErrs := make(chan []error, 1) // what those paths returned
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // the deadline: the 503 goes out
		select {
		case <-fastIn:
		case <-time.After(timeoutGuard):
			return
		}
		var errs []error
		defer func() {
			if p := recover(); p != nil { // the old code handed out a pooled writer, maybe cleared
				errs = append(errs, fmt.Errorf("panic: %v", p))
			}
			lateErrs <- errs
			tried <- struct{}{}
		}()
		u := w.(interface{ Unwrap() http.ResponseWriter }).Unwrap()
		u.Header().Set("X-Leak", leak)
		u.WriteHeader(http.StatusTeapot)
		_, err := u.Write([]byte(leak))
		errs = append(errs, err)
		if rf, ok := u.(io.ReaderFrom); ok {
			_, err = rf.ReadFrom(strings.NewReader(leak))
			errs = append(errs, err)
		}
		for _, rc := range []*http.ResponseController{http.NewResponseController(u), http.NewResponseController(w)} {
			errs = append(errs, rc.Flush(), rc.SetWriteDeadline(time.Now()), rc.SetReadDeadline(time.Now()), rc.EnableFullDuplex())
			c, _, err := rc.Hijack()
			if c != nil {
				_, _ = io.WriteString(c, leak)
				c.Close()
			}
			errs = append(errs, err)
		}
	})
	mux.HandleFunc("GET /fast", func(w http.ResponseWriter, r *http.Request) {
		fastIn <- struct{}{}
		select {
		case <-tried:
		case <-time.After(timeoutGuard):
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, fastBody)
	})
	srv := timeoutServer(t, Default(DefaultConfig{Logger: slog.New(slog.DiscardHandler)}).Append(Timeout(d)).Then(mux))
	client := srv.Client() // asks for gzip and decodes it

	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("GET %s: reading the body: %v", path, err)
		}
		return res, string(body)
	}
	for run := range runs {
		if res, _ := get("/slow"); res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("run %d: /slow got %d, want 503", run, res.StatusCode)
		}
		res, body := get("/fast")
		if res.StatusCode != 200 || res.Header.Get("X-Leak") != "" || body != fastBody || !res.Uncompressed {
			t.Fatalf("run %d: /fast got %d %v gzip=%v, body %q\nwant 200, its own gzipped body and nothing of the late route",
				run, res.StatusCode, res.Header, res.Uncompressed, body)
		}
		select {
		case errs := <-lateErrs:
			for i, err := range errs {
				if !errors.Is(err, http.ErrHandlerTimeout) {
					t.Errorf("run %d: late call %d returned %v, want http.ErrHandlerTimeout", run, i, err)
				}
			}
		case <-time.After(timeoutGuard):
			t.Fatalf("run %d: the late route never finished", run)
		}
	}
}

// timeoutBenchRoute is a fast route, shaped like what send.Value does: a
// header, then the body.
var timeoutBenchRoute = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
})

// BenchmarkTimeout compares Timeout over a fast route with the bare route
// and with net/http's TimeoutHandler (which buffers the body). The deadline
// never fires: this is the cost every request pays. The request context
// can be canceled, as a server's is.
func BenchmarkTimeout(b *testing.B) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	fresh := httptest.NewRequest("GET", "/", nil).WithContext(parent)
	attached, _ := state.Attach(fresh) // as behind RequestID or Logger
	// A request with a body gets the route a guarded body (unread here).
	withBody := httptest.NewRequest("POST", "/", strings.NewReader(`{"a":1}`)).WithContext(parent)

	for _, bb := range []struct {
		name string
		h    http.Handler
		r    *http.Request
	}{
		{"impl=bare", timeoutBenchRoute, fresh},
		{"impl=micro", Timeout(time.Minute)(timeoutBenchRoute), fresh},
		{"impl=micro-in-chain", Timeout(time.Minute)(timeoutBenchRoute), attached},
		{"impl=micro-with-body", Timeout(time.Minute)(timeoutBenchRoute), withBody},
		{"impl=nethttp", http.TimeoutHandler(timeoutBenchRoute, time.Minute, ""), fresh},
	} {
		b.Run(bb.name, func(b *testing.B) { testkit.Bench(b, bb.h, bb.r) })
	}
}
