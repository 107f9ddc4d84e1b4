package report_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/report"
	"github.com/microkit-go/micro/internal/testkit"
)

func TestStackFindsTheRecoveredPanicInTheTree(t *testing.T) {
	var panicked *micro.Error
	func() {
		defer func() { panicked = micro.Recovered(recover()) }()
		panic("boom")
	}()
	plain := errors.New("plain")
	for _, tt := range []struct {
		name  string
		err   error
		found bool
	}{
		{"nil", nil, false},
		{"an error without a stack", plain, false},
		{"an Error that is no panic", micro.Errorf(500, "db: %w", plain), false},
		{"the recovered panic", panicked, true},
		{"through fmt.Errorf", fmt.Errorf("route: %w", panicked), true},
		{"past an Error without a stack", micro.Errorf(500, "route: %w", panicked), true},
		{"in a joined error", errors.Join(plain, panicked), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := report.Stack(tt.err)
			if (st != nil) != tt.found {
				t.Errorf("Stack = %.40q, want a stack: %v", st, tt.found)
			}
			if st != nil && string(st) != string(panicked.Stack()) {
				t.Error("Stack is not the recovered panic's")
			}
		})
	}
}

func TestAttrsNameTheRequest(t *testing.T) {
	r := httptest.NewRequest("POST", "/api/comments?page=2", nil)
	a := report.Attrs(r, 503)
	want := []string{"method=POST", "path=/api/comments", "route=unmatched", "status=503"}
	var got []string
	for _, attr := range a {
		got = append(got, attr.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Attrs (-want +got):\n%s", diff)
	}
	if a := report.Attrs(r, 0); !a[3].Equal(slog.Attr{}) {
		t.Errorf("Attrs with status 0: the status is %v, want the empty Attr", a[3])
	}
	r.Pattern = "POST /api/comments"
	if a := report.Attrs(r, 0); a[2].String() != "route=POST /api/comments" {
		t.Errorf("Attrs of a routed request: %v, want route=POST /api/comments", a[2])
	}
}

func TestOnPanicHandsOnThePanicAndLetsAbortThrough(t *testing.T) {
	var handled []any
	run := func(v any) any {
		return testkit.Recover(func() {
			defer report.OnPanic(func(p any) { handled = append(handled, p) })
			if v != nil {
				panic(v)
			}
		})
	}
	if p := run(nil); p != nil || len(handled) != 0 {
		t.Errorf("without a panic: panicked %v, handled %v", p, handled)
	}
	if p := run("boom"); p != nil || !cmp.Equal(handled, []any{"boom"}) {
		t.Errorf("a panic: panicked %v, handled %v; want it handled", p, handled)
	}
	if p := run(http.ErrAbortHandler); p != http.ErrAbortHandler || len(handled) != 1 {
		t.Errorf("http.ErrAbortHandler: panicked %v, handled %v; want it panicked again", p, handled)
	}
}
