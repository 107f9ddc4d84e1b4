package micro

import (
	"context"
	"iter"
	"net/http"

	"github.com/microkit-go/micro/send"
)

// Event is an item of a stream with the fields of a server-sent event (id,
// event type, retry): see [send.Event].
type Event = send.Event

// Stream returns a response that sends the items of seq as they are
// produced: as server-sent events to clients that accept
// text/event-stream (EventSource does), else as NDJSON, one JSON value per
// line. Each item is flushed at once; an item of type [Event] sets the
// event's id, type and retry. See [send.Stream] for the framing, the
// heartbeats and what happens when the client goes away.
//
//	return micro.Stream(func(yield func(Tick) bool) {
//		for i := 1; ; i++ {
//			if !yield(Tick{i}) {
//				return // the client went away
//			}
//		}
//	}), nil
//
// A range-over-func loop over seq stops, and seq's yield returns false,
// when the client goes away, or stops reading for longer than the
// stream's WriteTimeout. The result is a *send.Stream, so its Heartbeat
// and WriteTimeout can be set, and it can be the Body of a [Response].
func Stream[T any](seq iter.Seq[T]) *send.Stream {
	return &send.Stream{Items: func(_ context.Context, yield func(any, error) bool) {
		for v := range seq {
			if !yield(v, nil) {
				return
			}
		}
	}}
}

// Stream2 is [Stream] for a sequence of items and errors: an error before
// the first item is sent as an ordinary problem response with its status
// (as a returned error is); after it, the error ends the stream with an
// error item (an "error" event, or an NDJSON line {"error": problem}). The
// sequence is not read past its first error.
func Stream2[T any](seq iter.Seq2[T, error]) *send.Stream {
	return &send.Stream{Items: func(_ context.Context, yield func(any, error) bool) {
		for v, err := range seq {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}}
}

// StreamChan is [Stream] for the values received from ch, until it is
// closed or the client goes away. The goroutine that sends on ch must
// watch the request's context and stop when it is done, or it blocks
// forever on a send nobody receives:
//
//	ch := make(chan Tick)
//	go func() {
//		defer close(ch)
//		for i := 1; ; i++ {
//			select {
//			case ch <- Tick{i}:
//			case <-r.Context().Done():
//				return
//			}
//		}
//	}()
//	return micro.StreamChan(ch), nil
func StreamChan[T any](ch <-chan T) *send.Stream {
	return &send.Stream{Items: func(ctx context.Context, yield func(any, error) bool) {
		for {
			select {
			case v, ok := <-ch:
				if !ok || !yield(v, nil) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}}
}

// LastEventID returns the ID of the last event an EventSource received
// before it reconnected (its Last-Event-ID header), or "" on a first
// connection: a route resumes its stream after that event.
func LastEventID(r *http.Request) string {
	return r.Header.Get("Last-Event-ID")
}
