package prommicro

import (
	"strconv"
	"testing"
)

func TestFoldMethodKeepsTheNineMethodsAndFoldsTheRest(t *testing.T) {
	tests := map[string]string{
		"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "PUT", "PATCH": "PATCH",
		"DELETE": "DELETE", "CONNECT": "CONNECT", "OPTIONS": "OPTIONS", "TRACE": "TRACE",
		"get": "_OTHER", "Get": "_OTHER", "PROPFIND": "_OTHER", "QUERY": "_OTHER",
		"": "_OTHER", "GET ": "_OTHER", "_OTHER": "_OTHER",
	}
	seen := map[int]string{}
	for method, want := range tests {
		got, i := foldMethod(method)
		if got != want {
			t.Errorf("foldMethod(%q) = %q, want %q", method, got, want)
		}
		if i < 0 || i >= methods {
			t.Errorf("foldMethod(%q): index %d out of [0, %d)", method, i, methods)
		}
		if other, ok := seen[i]; ok && other != got {
			t.Errorf("foldMethod: %q and %q share the index %d", got, other, i)
		}
		seen[i] = got
	}
	if len(seen) != methods {
		t.Errorf("%d indexes, want %d", len(seen), methods)
	}
}

func TestStatusLabelIsTheDecimalCode(t *testing.T) {
	c := newStatusCodes()
	for _, status := range []int{0, 99, 100, 200, 404, 499, 500, 599, 999, 1000, -1} {
		if got, want := c.label(status), strconv.Itoa(status); got != want {
			t.Errorf("label(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestStatusLabelAllocatesNothing(t *testing.T) {
	c := newStatusCodes()
	status := 200
	if n := testing.AllocsPerRun(100, func() { _ = c.label(status); status = 100 + (status+1)%900 }); n != 0 {
		t.Errorf("%v allocations per label, want 0", n)
	}
}
