package testkit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// ProblemBody is the RFC 9457 problem body the send package writes.
type ProblemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Problem decodes body as a problem. It fails the test when header's
// Content-Type is not application/problem+json or body does not decode.
func Problem(t testing.TB, header http.Header, body []byte) ProblemBody {
	t.Helper()
	if ct := header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %q", ct, body)
	}
	var p ProblemBody
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	return p
}

// RecordedProblem is [Problem] of what w recorded.
func RecordedProblem(t testing.TB, w *httptest.ResponseRecorder) ProblemBody {
	t.Helper()
	return Problem(t, w.Header(), w.Body.Bytes())
}
