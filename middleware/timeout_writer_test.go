package middleware

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

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
