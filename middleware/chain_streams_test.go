package middleware_test

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/internal/testkit"
)

func TestChainServerSentEventsStreamThroughTheWholeChain(t *testing.T) {
	const timeout = 50 * time.Millisecond
	release := make(chan struct{})
	routeErr := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		routeErr <- func() error {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Cache-Control", "no-cache")
			rc := http.NewResponseController(w)
			if _, err := io.WriteString(w, "data: one\n\n"); err != nil {
				return err
			}
			if err := rc.Flush(); err != nil {
				return err
			}
			select {
			case <-release:
			case <-r.Context().Done():
				return fmt.Errorf("context done while waiting: %w", r.Context().Err())
			}
			// Outlive the Timeout several times over before the second event.
			deadline, ok := r.Context().Deadline()
			if !ok {
				return errors.New("no deadline under Timeout")
			}
			time.Sleep(time.Until(deadline) + 3*timeout)
			if err := r.Context().Err(); err != nil {
				return fmt.Errorf("the stream's context ended after the timeout: %w", err)
			}
			if _, err := io.WriteString(w, "data: two\n\n"); err != nil {
				return err
			}
			return rc.Flush()
		}()
	})
	e := chainStart(t, timeout, mux)
	res, err := e.client.Do(e.req(t, "GET", "/events", nil,
		"Accept", "text/event-stream", "Accept-Encoding", "gzip", "Origin", chainOrigin))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if got := res.Header.Get("Content-Encoding"); got != "" {
		t.Errorf("Content-Encoding %q, want none: Compress sends streams as they are by default", got)
	}
	chainCORSOK(t, res.Header)
	wire := &testkit.CountingReader{R: res.Body}
	var body io.Reader = wire
	first := make(chan string, 1)
	readErr := make(chan error, 1)
	var rest []byte
	go func() {
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(wire)
			if err != nil {
				readErr <- err
				return
			}
			body = zr
		}
		br := bufio.NewReader(body)
		var ev strings.Builder
		for ev.Len() == 0 || !strings.HasSuffix(ev.String(), "\n\n") {
			l, err := br.ReadString('\n')
			ev.WriteString(l)
			if err != nil {
				readErr <- fmt.Errorf("first event %q: %w", ev.String(), err)
				return
			}
		}
		first <- ev.String()
		b, err := io.ReadAll(br)
		rest = b
		readErr <- err
	}()
	select {
	case ev := <-first:
		if ev != "data: one\n\n" {
			t.Errorf("first event %q", ev)
		}
	case err := <-readErr:
		t.Fatal(err)
	case <-time.After(chainWait):
		close(release)
		t.Fatal("the first event did not arrive while the route waited: it was buffered")
	}
	if lines := chainLines(t, e.log); len(lines) != 0 {
		t.Errorf("logged before the stream ended: %+v", lines)
	}
	close(release)
	select {
	case err := <-readErr:
		if err != nil {
			t.Fatalf("reading the rest of the stream: %v", err)
		}
	case <-time.After(chainWait):
		t.Fatal("the stream did not end")
	}
	if string(rest) != "data: two\n\n" {
		t.Errorf("after the first event: %q, want the second", rest)
	}
	if err := <-routeErr; err != nil {
		t.Errorf("route: %v", err)
	}
	line := chainOnly(t, e.finish(t), "/events")
	if line.Status != 200 || line.Level != "INFO" {
		t.Errorf("log line %+v, want INFO 200", line)
	}
	if line.Bytes != int64(wire.N()) {
		t.Errorf("logged bytes %d, %d on the wire", line.Bytes, int64(wire.N()))
	}
}
