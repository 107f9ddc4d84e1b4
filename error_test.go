package micro_test

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestErrorfWrapsCauses(t *testing.T) {
	err := micro.Errorf(404, "post %d: %w", 7, sql.ErrNoRows)
	if !errors.Is(err, sql.ErrNoRows) {
		t.Error("errors.Is does not see the %w cause")
	}
	if got := err.Error(); got != "post 7: sql: no rows in result set" {
		t.Errorf("message %q", got)
	}
	two := micro.Errorf(500, "%w and %w", sql.ErrNoRows, fs.ErrNotExist)
	if !errors.Is(two, sql.ErrNoRows) || !errors.Is(two, fs.ErrNotExist) {
		t.Error("errors.Is does not see both %w causes")
	}
	private := micro.Errorf(404, "no such post").Wrap(sql.ErrNoRows).Wrap(nil)
	if !errors.Is(private, sql.ErrNoRows) || private.Error() != "no such post" {
		t.Errorf("Wrap: Is=%v, message %q", errors.Is(private, sql.ErrNoRows), private.Error())
	}
	var target *micro.Error
	if !errors.As(fmt.Errorf("handler: %w", err), &target) || target.StatusCode() != 404 {
		t.Error("errors.As does not find the *Error through a wrapper")
	}
}

func TestErrorResponses(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		want   resp
		header http.Header
	}{
		{"the status and message of an Error are sent",
			micro.Errorf(409, "comment %q exists", "a"),
			problemResp(409, "Conflict", `comment \"a\" exists`), nil},
		{"a wrapper keeps the status and its own text is not sent",
			fmt.Errorf("loading user 7 from 10.0.0.3: %w", micro.Errorf(404, "no such user")),
			problemResp(404, "Not Found", "no such user"), nil},
		{"headers of an Error are sent",
			micro.Errorf(429, "slow down").WithHeader("Retry-After", "30"),
			problemResp(429, "Too Many Requests", "slow down"),
			http.Header{"Retry-After": {"30"}}},
		{"WWW-Authenticate on a 401",
			micro.Errorf(401, "log in").WithHeader("www-authenticate", `Bearer realm="api"`),
			problemResp(401, "Unauthorized", "log in"),
			http.Header{"Www-Authenticate": {`Bearer realm="api"`}}},
		{"a status below 400 is not public: 500, no detail",
			micro.Errorf(302, "secret redirect"),
			problemResp(500, "Internal Server Error", ""), nil},
		{"a status above 599 is not public: 500, no detail",
			micro.Errorf(1000, "secret"),
			problemResp(500, "Internal Server Error", ""), nil},
		{"an empty message gives no detail",
			micro.Errorf(404, ""),
			problemResp(404, "Not Found", ""), nil},
		{"an unknown status gets a generic title",
			micro.Errorf(599, "custom"),
			problemResp(599, "Error", "custom"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := expect(t, micro.Handler(func(*http.Request) (any, error) { return nil, tt.err }), req{}, tt.want)
			for k := range tt.header {
				if diff := cmp.Diff(tt.header[k], got.Header[k]); diff != "" {
					t.Errorf("header %s (-want +got):\n%s", k, diff)
				}
			}
		})
	}
}

func TestRecovered(t *testing.T) {
	errBoom := errors.New("boom")
	recovered := func(v any) (err *micro.Error) {
		defer func() { err = micro.Recovered(recover()) }()
		panic(v)
	}
	for _, tt := range []struct {
		name  string
		value any
		want  string
	}{
		{"a string", "secret state", "panic: secret state"},
		{"an error, seen through", errBoom, "panic: boom"},
		{"an Error with a status is a panic all the same", micro.Errorf(404, "no such post"), "panic: no such post"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := recovered(tt.value)
			if err.Error() != tt.want || err.StatusCode() != 0 {
				t.Errorf("message %q, status %d; want %q, 0", err.Error(), err.StatusCode(), tt.want)
			}
			if cause, ok := tt.value.(error); ok && !errors.Is(err, cause) {
				t.Errorf("errors.Is(%v, %v) = false", err, cause)
			}
			if !strings.Contains(string(err.Stack()), "TestRecovered") {
				t.Errorf("stack does not show where the panic happened:\n%s", err.Stack())
			}
			quiet := middleware.ErrorLogger(slog.New(slog.DiscardHandler)) // the 500 is logged
			expect(t, quiet(micro.Handler(func(*http.Request) (any, error) { return nil, err })), req{},
				resp{Status: 500, ContentType: "application/problem+json",
					Body: `{"type":"about:blank","title":"Internal Server Error","status":500}`})
		})
	}
	first := recovered("once")
	if again := micro.Recovered(first); again != first {
		t.Error("a recovered panic panicked again was not returned as it is")
	}
	if st := micro.Errorf(500, "no panic").Stack(); st != nil {
		t.Errorf("Stack of an Errorf error = %q, want nil", st)
	}
}

// TestNilErrorIsAnUnclassified500: a route that returns a nil *Error in a
// non-nil error (the typed-nil pitfall) gets a logged 500, not a panic
// that leaves the request unanswered.
func TestNilErrorIsAnUnclassified500(t *testing.T) {
	var log testkit.Log
	h := middleware.ErrorLogger(log.JSONLogger(slog.LevelDebug))(micro.Handler(func(r *http.Request) (any, error) {
		var e *micro.Error
		return nil, e
	}))
	got := roundTrip(t, h, req{})
	if got.Status != 500 {
		t.Errorf("status %d, want 500; body %s", got.Status, got.Body)
	}
	if !strings.Contains(log.String(), "nil *micro.Error") {
		t.Errorf("log %q does not name the nil *micro.Error", log.String())
	}
	var e *micro.Error
	if e.StatusCode() != 0 || e.Header() != nil || e.Unwrap() != nil || e.Stack() != nil {
		t.Error("a nil *Error's methods must report nothing")
	}
}
