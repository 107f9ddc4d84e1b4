package send_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
	"github.com/microkit-go/micro/send"
)

// cachedError is a public error with headers of its own.
type cachedError struct {
	status int
	header http.Header
}

func (e cachedError) Error() string       { return "cached" }
func (e cachedError) StatusCode() int     { return e.status }
func (e cachedError) Header() http.Header { return e.header }

// TestServerErrorsAreNotStored: the caching headers set for the response a
// route meant to send (a 200's Cache-Control: max-age, Expires) do not
// make the 5xx that replaces it storable by a shared cache: a 5xx problem
// is Cache-Control: no-store unless the error itself says otherwise. A
// 4xx keeps what was set, a middleware's no-store included.
func TestServerErrorsAreNotStored(t *testing.T) {
	var log testkit.Log
	quiet := middleware.ErrorLogger(log.JSONLogger(slog.LevelDebug))
	for _, tc := range []struct {
		name          string
		err           error
		cacheControl  string
		expires       string
		wantStatus    int
		wantCache     string
		wantNoExpires bool
	}{
		{"an unclassified 500", errors.New("boom"), "public, max-age=60", "Thu, 01 Jan 2037 00:00:00 GMT", 500, "no-store", true},
		{"a public 503", cachedError{503, nil}, "max-age=60", "", 503, "no-store", true},
		{"a 503 whose error sets its own Cache-Control", cachedError{503, http.Header{"Cache-Control": {"max-age=5"}}}, "max-age=60", "", 503, "max-age=5", true},
		{"a 404 keeps what was set", cachedError{404, nil}, "max-age=60", "Thu, 01 Jan 2037 00:00:00 GMT", 404, "max-age=60", false},
		{"a 400 keeps a middleware's no-store", cachedError{400, nil}, "no-store", "", 400, "no-store", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := quiet(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", tc.cacheControl)
				if tc.expires != "" {
					w.Header().Set("Expires", tc.expires)
				}
				send.Error(w, r, tc.err)
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			if w.Code != tc.wantStatus || w.Header().Get("Cache-Control") != tc.wantCache {
				t.Errorf("status %d, Cache-Control %q; want %d, %q", w.Code, w.Header().Get("Cache-Control"), tc.wantStatus, tc.wantCache)
			}
			if got := w.Header().Get("Expires"); tc.wantNoExpires && got != "" {
				t.Errorf("Expires %q kept on a %d", got, w.Code)
			}
		})
	}
}
