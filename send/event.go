package send

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Event is an item of a [Stream] with the fields of a server-sent event:
// for a client that reads text/event-stream, ID, Event and Retry become the
// event's id, event and retry fields and Data its data, as JSON. A client
// that reads NDJSON gets Data alone, as one line.
//
// ID and Event must not contain a line break or a NUL (they would end the
// field, letting data decide the next one): such an event ends the stream
// with an error, as an item that cannot be encoded does.
type Event struct {
	ID    string        // sets the client's last event ID; sent back as Last-Event-ID when it reconnects
	Event string        // the event type; empty is "message"
	Retry time.Duration // how long the client waits before reconnecting, sent in whole milliseconds rounded up; 0 sends nothing
	Data  any           // the payload, encoded as JSON
}

// errEventField is the error an Event with a forbidden byte in a field is.
var errEventField = errors.New("send: Event.ID or Event.Event contains a line break or NUL")

// appendEventFields appends the id, event and retry lines of e.
func appendEventFields(b []byte, e *Event) ([]byte, error) {
	if strings.ContainsAny(e.ID, "\r\n\x00") || strings.ContainsAny(e.Event, "\r\n\x00") {
		return b, errEventField
	}
	if e.ID != "" {
		b = append(b, "id: "...)
		b = append(b, e.ID...)
		b = append(b, '\n')
	}
	if e.Event != "" {
		b = append(b, "event: "...)
		b = append(b, e.Event...)
		b = append(b, '\n')
	}
	if e.Retry > 0 {
		b = append(b, "retry: "...)
		// Whole milliseconds, rounded up: "retry: 0" would mean at once.
		b = strconv.AppendInt(b, (e.Retry + time.Millisecond - 1).Milliseconds(), 10)
		b = append(b, '\n')
	}
	return b, nil
}
