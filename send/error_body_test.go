package send_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro/send"
)

// TestErrorAnswersACutBodyWith413 checks that a route reading a body cut
// by http.MaxBytesReader itself, and returning the error, gets the 413 the
// body helpers give, not a 500.
func TestErrorAnswersACutBodyWith413(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8)
		if _, err := io.ReadAll(r.Body); err != nil {
			send.Error(w, r, fmt.Errorf("reading the upload: %w", err))
		}
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader("0123456789")))
	var p send.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if w.Code != 413 || p.Status != 413 || p.Detail != "Body exceeded 8 byte limit" {
		t.Errorf("%d %+v", w.Code, p)
	}
}
