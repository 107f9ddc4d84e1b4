package middleware_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	micro "github.com/microkit-go/micro"
	"github.com/microkit-go/micro/middleware"
)

func TestChainConcurrentRequestsLogTheirOwnRequestID(t *testing.T) {
	const workers, perWorker = 20, 10
	mux := http.NewServeMux()
	mux.Handle("GET /json/{n}", micro.Handler(func(r *http.Request) (any, error) {
		v, _ := middleware.CookieFrom(r, "session")
		return map[string]string{"id": middleware.RequestIDFrom(r), "session": v, "n": r.PathValue("n")}, nil
	}))
	mux.Handle("GET /big/{n}", micro.Handler(func(r *http.Request) (any, error) { return chainBig(), nil }))
	mux.Handle("GET /fail/{n}", micro.Handler(func(r *http.Request) (any, error) {
		return nil, errors.New("failed " + r.PathValue("n"))
	}))
	mux.HandleFunc("GET /panic/{n}", func(w http.ResponseWriter, r *http.Request) { panic("panic " + r.PathValue("n")) })
	mux.Handle("POST /post/{n}", micro.Handler(func(r *http.Request) (any, error) {
		v, err := micro.JSON[map[string]string](r)
		if err != nil {
			return nil, err
		}
		return v, nil
	}))
	e := chainStart(t, time.Minute, mux)

	type outcome struct {
		path, id string
		status   int
	}
	results := make(chan outcome, workers*perWorker)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				n := g*perWorker + i
				var r *http.Request
				var err error
				switch n % 6 {
				case 0:
					r, err = http.NewRequest("GET", fmt.Sprintf("%s/json/%d", e.srv.URL, n), nil)
				case 1:
					r, err = http.NewRequest("GET", fmt.Sprintf("%s/big/%d", e.srv.URL, n), nil)
				case 2:
					r, err = http.NewRequest("GET", fmt.Sprintf("%s/fail/%d", e.srv.URL, n), nil)
				case 3:
					r, err = http.NewRequest("GET", fmt.Sprintf("%s/panic/%d", e.srv.URL, n), nil)
				case 4:
					r, err = http.NewRequest("POST", fmt.Sprintf("%s/post/%d", e.srv.URL, n), strings.NewReader(fmt.Sprintf(`{"n":"%d"}`, n)))
				case 5:
					r, err = http.NewRequest("OPTIONS", fmt.Sprintf("%s/json/%d", e.srv.URL, n), nil)
					r.Header.Set("Access-Control-Request-Method", "GET")
				}
				if err != nil {
					t.Error(err)
					return
				}
				r.Header.Set("Origin", chainOrigin)
				r.Header.Set("Accept-Encoding", "gzip")
				r.Header.Set("Cookie", fmt.Sprintf("session=s%d", n))
				if n%2 == 0 {
					r.Header.Set("X-Request-Id", fmt.Sprintf("client-%d", n))
				}
				res, err := e.client.Do(r)
				if err != nil {
					t.Error(err)
					return
				}
				raw, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil {
					t.Error(err)
					return
				}
				id := res.Header.Get("X-Request-Id")
				if n%2 == 0 && id != fmt.Sprintf("client-%d", n) {
					t.Errorf("request %d: X-Request-ID %q, want the client's", n, id)
				}
				if n%6 == 0 {
					var got map[string]string
					b, err := chainRes{res.StatusCode, res.Header, raw}.decoded()
					if err == nil {
						err = json.Unmarshal(b, &got)
					}
					if err != nil {
						t.Errorf("request %d: %v", n, err)
					} else if want := map[string]string{"id": id, "session": fmt.Sprintf("s%d", n), "n": fmt.Sprint(n)}; !cmp.Equal(want, got) {
						t.Errorf("request %d: the route saw %v, want %v", n, got, want)
					}
				}
				results <- outcome{r.URL.Path, id, res.StatusCode}
			}
		}()
	}
	wg.Wait()
	close(results)
	lines := e.finish(t)
	byPath := map[string][]chainLine{}
	for _, l := range lines {
		byPath[l.Path] = append(byPath[l.Path], l)
	}
	if len(lines) != workers*perWorker {
		t.Errorf("%d log lines for %d requests", len(lines), workers*perWorker)
	}
	wantStatus := map[string]int{"json": 200, "big": 200, "fail": 500, "panic": 500, "post": 200}
	for o := range results {
		ls := byPath[o.path]
		if len(ls) != 1 {
			t.Errorf("%s: %d log lines", o.path, len(ls))
			continue
		}
		if ls[0].RequestID != o.id || ls[0].Status != o.status || o.id == "" {
			t.Errorf("%s: logged request_id %q status %d, response %q %d", o.path, ls[0].RequestID, ls[0].Status, o.id, o.status)
		}
		kind := strings.Split(o.path, "/")[1]
		if ls[0].Method == "OPTIONS" {
			kind = "preflight"
			wantStatus[kind] = 204
		}
		if o.status != wantStatus[kind] {
			t.Errorf("%s %s: status %d, want %d", ls[0].Method, o.path, o.status, wantStatus[kind])
		}
	}
}
