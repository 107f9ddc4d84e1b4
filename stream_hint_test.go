package micro_test

import (
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/microkit-go/micro"
)

// TestUnwrappedIteratorsGetAHint checks that a route returning an iterator
// or a channel without micro.Stream gets a 500 whose logged cause says how
// to stream it.
func TestUnwrappedIteratorsGetAHint(t *testing.T) {
	var seq iter.Seq[int] = func(yield func(int) bool) { yield(1) }
	for name, tc := range map[string]struct {
		v    any
		hint string
	}{
		"iter.Seq":  {seq, "micro.Stream(seq)"},
		"channel":   {make(<-chan int), "micro.StreamChan(ch)"},
		"bare func": {func() {}, "micro.Stream(seq)"},
	} {
		t.Run(name, func(t *testing.T) {
			h := micro.Handler(func(r *http.Request) (any, error) { return tc.v, nil })
			lines := logLines(t, h, httptest.NewRequest("GET", "/", nil))
			if len(lines) != 1 || lines[0]["status"] != 500.0 || !strings.Contains(lines[0]["error"].(string), tc.hint) {
				t.Errorf("log lines %v, want one 500 whose error mentions %s", lines, tc.hint)
			}
		})
	}
}
