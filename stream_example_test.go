package micro_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"

	"github.com/microkit-go/micro"
)

// streamTShow sends a GET with the given Accept header to h and prints the
// status, the Content-Type and the body.
func streamTShow(h http.Handler, accept string) {
	r := httptest.NewRequest("GET", "/api/ticks", nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Print(w.Body.String())
}

func ExampleStream() {
	type Tick struct {
		Tick int `json:"tick"`
	}
	ticks := micro.Handler(func(r *http.Request) (any, error) {
		return micro.Stream(func(yield func(Tick) bool) {
			for i := 1; i <= 3; i++ {
				if !yield(Tick{i}) {
					return // the client went away
				}
			}
		}), nil
	})

	streamTShow(ticks, "")                  // curl, fetch: NDJSON
	streamTShow(ticks, "text/event-stream") // EventSource: server-sent events
	// Output:
	// 200 application/x-ndjson
	// {"tick":1}
	// {"tick":2}
	// {"tick":3}
	// 200 text/event-stream
	// data: {"tick":1}
	//
	// data: {"tick":2}
	//
	// data: {"tick":3}
	//
}

// A route resumes after the last event a reconnecting EventSource saw, and
// answers 204 when nothing is left, which stops the reconnections.
func ExampleStream_resume() {
	events := micro.Handler(func(r *http.Request) (any, error) {
		after, _ := strconv.Atoi(micro.LastEventID(r)) // "" on a first connection: 0
		if after >= 3 {
			return nil, nil
		}
		return micro.Stream(func(yield func(micro.Event) bool) {
			for i := after + 1; i <= 3; i++ {
				if !yield(micro.Event{ID: strconv.Itoa(i), Event: "tick", Data: i}) {
					return
				}
			}
		}), nil
	})

	for _, last := range []string{"", "2", "3"} {
		r := httptest.NewRequest("GET", "/api/events", nil)
		r.Header.Set("Accept", "text/event-stream")
		r.Header.Set("Last-Event-ID", last)
		w := httptest.NewRecorder()
		events.ServeHTTP(w, r)
		fmt.Printf("Last-Event-ID %q: %d\n%s", last, w.Code, w.Body)
	}
	// Output:
	// Last-Event-ID "": 200
	// id: 1
	// event: tick
	// data: 1
	//
	// id: 2
	// event: tick
	// data: 2
	//
	// id: 3
	// event: tick
	// data: 3
	//
	// Last-Event-ID "2": 200
	// id: 3
	// event: tick
	// data: 3
	//
	// Last-Event-ID "3": 204
}

func ExampleStream2() {
	rows := func(yield func(string, error) bool) {
		if !yield("first row", nil) {
			return
		}
		yield("", micro.Errorf(http.StatusConflict, "the table changed while it was read"))
	}
	h := micro.Handler(func(r *http.Request) (any, error) {
		return micro.Stream2(rows), nil
	})

	// The error comes after the first item, so the 200 is already sent:
	// it ends the stream as a last item.
	streamTShow(h, "")
	streamTShow(h, "text/event-stream")

	// An error before the first item is an ordinary problem response.
	failing := micro.Handler(func(r *http.Request) (any, error) {
		return micro.Stream2(func(yield func(string, error) bool) {
			yield("", micro.Errorf(http.StatusNotFound, "no such table"))
		}), nil
	})
	streamTShow(failing, "")
	fmt.Println()

	// An unclassified error is a 500 whose text is logged, never sent.
	secret := micro.Handler(func(r *http.Request) (any, error) {
		return micro.Stream2(func(yield func(string, error) bool) {
			yield("", errors.New("dial tcp 10.0.0.3:5432: connection refused"))
		}), nil
	})
	streamTShow(secret, "")
	// Output:
	// 200 application/x-ndjson
	// "first row"
	// {"error":{"type":"about:blank","title":"Conflict","status":409,"detail":"the table changed while it was read"}}
	// 200 text/event-stream
	// data: "first row"
	//
	// event: error
	// data: {"type":"about:blank","title":"Conflict","status":409,"detail":"the table changed while it was read"}
	//
	// 404 application/problem+json
	// {"type":"about:blank","title":"Not Found","status":404,"detail":"no such table"}
	// 500 application/problem+json
	// {"type":"about:blank","title":"Internal Server Error","status":500}
}

func ExampleStreamChan() {
	h := micro.Handler(func(r *http.Request) (any, error) {
		ch := make(chan string)
		go func() {
			defer close(ch) // the end of the stream
			for _, s := range []string{"queued", "running", "done"} {
				select {
				case ch <- s:
				case <-r.Context().Done(): // the client went away
					return
				}
			}
		}()
		return micro.StreamChan(ch), nil
	})

	streamTShow(h, "")
	// Output:
	// 200 application/x-ndjson
	// "queued"
	// "running"
	// "done"
}
