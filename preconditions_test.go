package micro_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
)

// precondition is the outcome of Preconditions: its status (0 for nil)
// and the headers of its error.
type precondition struct {
	Status int
	Header http.Header
}

func evaluate(method string, etag string, mod time.Time, header ...string) precondition {
	r := httptest.NewRequest(method, "/", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	err := micro.Preconditions(r, etag, mod)
	if err == nil {
		return precondition{}
	}
	e := err.(*micro.Error)
	return precondition{e.StatusCode(), e.Header()}
}

func TestPreconditions(t *testing.T) {
	mod := time.Date(2026, 12, 7, 10, 0, 0, 500e6, time.UTC) // the half second is below a date's precision
	at := mod.Format(http.TimeFormat)
	before := mod.Add(-time.Second).Format(http.TimeFormat)
	after := mod.Add(time.Second).Format(http.TimeFormat)
	const etag = `"v2"`
	ok := precondition{}
	failed := precondition{Status: 412}
	notModified := precondition{304, http.Header{"Etag": {etag}}}
	tests := []struct {
		name   string
		method string
		etag   string
		header []string
		want   precondition
	}{
		{"no conditional header goes on", "PUT", etag, nil, ok},

		// If-Match: strong comparison.
		{"If-Match with the etag goes on", "PUT", etag, []string{"If-Match", etag}, ok},
		{"If-Match listing the etag goes on", "PUT", etag, []string{"If-Match", `"v1", "v2"`}, ok},
		{"If-Match with another etag is 412", "PUT", etag, []string{"If-Match", `"v1"`}, failed},
		{"If-Match with the weak etag is 412 (strong comparison)", "PUT", etag, []string{"If-Match", `W/"v2"`}, failed},
		{"If-Match against a weak current etag is 412", "PUT", `W/"v2"`, []string{"If-Match", `W/"v2"`}, failed},
		{"If-Match star on an existing resource goes on", "DELETE", etag, []string{"If-Match", "*"}, ok},
		{"If-Match star on a missing resource is 412", "PUT", "", []string{"If-Match", "*"}, failed},
		{"a malformed If-Match is 412", "PUT", etag, []string{"If-Match", "v2"}, failed},
		{"an If-Match over 64 tags is 412", "PUT", etag, []string{"If-Match", strings.Repeat(`"x",`, 64) + etag}, failed},

		// If-Unmodified-Since, only without If-Match.
		{"If-Unmodified-Since at the modification goes on", "PUT", etag, []string{"If-Unmodified-Since", at}, ok},
		{"If-Unmodified-Since after the modification goes on", "PUT", etag, []string{"If-Unmodified-Since", after}, ok},
		{"If-Unmodified-Since before the modification is 412", "PUT", etag, []string{"If-Unmodified-Since", before}, failed},
		{"If-Unmodified-Since is ignored beside If-Match", "PUT", etag, []string{"If-Match", etag, "If-Unmodified-Since", before}, ok},
		{"an invalid If-Unmodified-Since is ignored", "PUT", etag, []string{"If-Unmodified-Since", "yesterday"}, ok},
		{"an RFC 850 date is read", "PUT", etag, []string{"If-Unmodified-Since", "Monday, 07-Dec-26 09:59:59 GMT"}, failed},
		{"an asctime date is read", "PUT", etag, []string{"If-Unmodified-Since", "Mon Dec  7 09:59:59 2026"}, failed},
		{"an over-long date is ignored", "PUT", etag, []string{"If-Unmodified-Since", before + strings.Repeat(" ", 64)}, ok},

		// If-None-Match: weak comparison.
		{"GET If-None-Match with the etag is 304", "GET", etag, []string{"If-None-Match", etag}, notModified},
		{"HEAD If-None-Match with the weak etag is 304", "HEAD", etag, []string{"If-None-Match", `W/"v2"`}, notModified},
		{"GET If-None-Match with another etag goes on", "GET", etag, []string{"If-None-Match", `"v1"`}, ok},
		{"GET If-None-Match star is 304", "GET", etag, []string{"If-None-Match", "*"}, notModified},
		{"PUT If-None-Match with the etag is 412", "PUT", etag, []string{"If-None-Match", etag}, failed},
		{"PUT If-None-Match star on an existing resource is 412", "PUT", etag, []string{"If-None-Match", "*"}, failed},
		{"PUT If-None-Match star on a missing resource goes on (create only)", "PUT", "", []string{"If-None-Match", "*"}, ok},
		{"If-Match is evaluated before If-None-Match", "GET", etag, []string{"If-Match", `"v1"`, "If-None-Match", etag}, failed},

		// If-Modified-Since, only on GET and HEAD, only without If-None-Match.
		{"GET If-Modified-Since at the modification is 304", "GET", etag, []string{"If-Modified-Since", at}, notModified},
		{"GET If-Modified-Since before the modification goes on", "GET", etag, []string{"If-Modified-Since", before}, ok},
		{"POST If-Modified-Since is ignored", "POST", etag, []string{"If-Modified-Since", after}, ok},
		{"If-Modified-Since is ignored beside If-None-Match", "GET", etag, []string{"If-None-Match", `"v1"`, "If-Modified-Since", after}, ok},
		{"If-Modified-Since counts beside a malformed If-None-Match", "GET", etag, []string{"If-None-Match", "v1", "If-Modified-Since", after}, notModified},
		{"GET If-Modified-Since without etag is 304 with Last-Modified", "GET", "", []string{"If-Modified-Since", after},
			precondition{304, http.Header{"Last-Modified": {"Mon, 07 Dec 2026 10:00:00 GMT"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(tt.method, tt.etag, mod, tt.header...)
			if got.Status == 412 {
				got.Header = nil // a 412 carries no header to compare
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPreconditionsIgnoreDatesWithoutModTime(t *testing.T) {
	past := "Mon, 07 Dec 2020 10:00:00 GMT"
	for _, h := range []string{"If-Unmodified-Since", "If-Modified-Since"} {
		if got := evaluate("GET", `"v"`, time.Time{}, h, past); got.Status != 0 {
			t.Errorf("%s with a zero modTime: status %d; want nil", h, got.Status)
		}
	}
}

func TestPreconditionsThroughHandler(t *testing.T) {
	h := micro.Handler(func(r *http.Request) (any, error) {
		if err := micro.Preconditions(r, `"v2"`, time.Time{}); err != nil {
			return nil, err
		}
		return "body", nil
	})
	tests := []struct {
		name, method, header, value string
		status                      int
		etag, body                  string
	}{
		{"a 304 is bare, with the ETag", "GET", "If-None-Match", `"v2"`, 304, `"v2"`, ""},
		{"a 412 is a problem", "PUT", "If-Match", `"v1"`, 412, "", `{"type":"about:blank","title":"Precondition Failed","status":412,"detail":"If-Match does not match the current ETag"}`},
		{"no match goes on", "GET", "If-None-Match", `"v1"`, 200, "", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/", nil)
			r.Header.Set(tt.header, tt.value)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Header().Get("ETag") != tt.etag || w.Body.String() != tt.body {
				t.Errorf("got %d, ETag %q, body %q; want %d, %q, %q",
					w.Code, w.Header().Get("ETag"), w.Body.String(), tt.status, tt.etag, tt.body)
			}
			if tt.status == 304 && w.Header().Get("Content-Type") != "" {
				t.Errorf("a 304 with Content-Type %q", w.Header().Get("Content-Type"))
			}
		})
	}
}

// A date header sent on two lines is a list of dates, which RFC 9110
// sections 13.1.3 and 13.1.4 ask a recipient to ignore.
func TestPreconditionsIgnoreDateLists(t *testing.T) {
	mod := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	before := mod.Add(-time.Hour).Format(http.TimeFormat)
	after := mod.Add(time.Hour).Format(http.TimeFormat)
	tests := []struct {
		name, method, field string
		lines               []string
	}{
		{"If-Unmodified-Since on two lines", "PUT", "If-Unmodified-Since", []string{before, after}},
		{"If-Modified-Since on two lines", "GET", "If-Modified-Since", []string{after, before}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			for _, l := range tt.lines {
				header = append(header, tt.field, l)
			}
			if got := evaluate(tt.method, `"v"`, mod, header...); got.Status != 0 {
				t.Errorf("status %d; want nil (the list is ignored)", got.Status)
			}
		})
	}
}
