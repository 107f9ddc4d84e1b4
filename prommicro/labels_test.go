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
	for method, want := range tests {
		if got := foldMethod(method); got != want {
			t.Errorf("foldMethod(%q) = %q, want %q", method, got, want)
		}
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
