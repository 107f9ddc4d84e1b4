package state_test

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/microkit-go/micro/internal/state"
)

// TestAttachIsOneAllocation: the clone, its context value and the State
// are one allocation, and the clone is the request, not a copy of it.
func TestAttachIsOneAllocation(t *testing.T) {
	r := httptest.NewRequest("GET", "/path?q=1", nil)
	r.Header.Set("X-A", "b")
	if n := testing.AllocsPerRun(100, func() { state.Attach(r) }); n != 1 {
		t.Errorf("Attach allocates %v times, want 1", n)
	}
	r2, _ := state.Attach(r)
	if r2.URL != r.URL || r2.Header.Get("X-A") != "b" || r2.Method != "GET" || r2.Context().Value("x") != nil {
		t.Error("the clone lost the request's fields")
	}
}

func TestSetNewRequestIDKeepsTheFirstIDInTheState(t *testing.T) {
	_, s := state.Attach(httptest.NewRequest("GET", "/", nil))
	first := [32]byte([]byte("0123456789abcdef0123456789abcdef"))
	second := [32]byte([]byte("fedcba9876543210fedcba9876543210"))
	if n := testing.AllocsPerRun(10, func() {
		_, s := state.Attach(httptest.NewRequest("GET", "/", nil))
		s.SetNewRequestID(first)
	}) - testing.AllocsPerRun(10, func() { state.Attach(httptest.NewRequest("GET", "/", nil)) }); n != 0 {
		t.Errorf("the first new ID allocates %v times, want 0", n)
	}
	v := s.SetNewRequestID(first)
	got := s.Data.RequestID
	if v[0] != got {
		t.Errorf("header value %q, RequestID %q", v[0], got)
	}
	s.SetNewRequestID(second)
	if got != string(first[:]) {
		t.Errorf("the first ID changed to %q", got)
	}
	if s.Data.RequestID != string(second[:]) {
		t.Errorf("RequestID %q after the second ID", s.Data.RequestID)
	}
}

func TestAddrText(t *testing.T) {
	_, s := state.Attach(httptest.NewRequest("GET", "/", nil))
	a := netip.MustParseAddr("192.0.2.10")
	b := netip.MustParseAddr("203.0.113.255")
	var first string
	if n := testing.AllocsPerRun(10, func() { first = s.AddrText(a) }); n != 0 {
		t.Errorf("AddrText of an IPv4 address allocates %v times, want 0", n)
	}
	for _, c := range []struct {
		a    netip.Addr
		want string
	}{
		{b, "203.0.113.255"},
		{a, "192.0.2.10"},
		{netip.MustParseAddr("2001:db8::1"), "2001:db8::1"},
		{netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{netip.Addr{}, ""},
	} {
		if got := s.AddrText(c.a); got != c.want {
			t.Errorf("AddrText(%v) = %q, want %q", c.a, got, c.want)
		}
	}
	if first != "192.0.2.10" {
		t.Errorf("the first text changed to %q", first)
	}
	_, s2 := state.Attach(httptest.NewRequest("GET", "/", nil))
	if got := s2.AddrText(netip.MustParseAddr("255.255.255.255")); got != "255.255.255.255" {
		t.Errorf("the longest IPv4 address: %q", got)
	}
}

// TestFromSeesThroughDerivedContexts: From's shortcut for the context
// Attach made must not hide the State behind a context derived from it.
func TestFromSeesThroughDerivedContexts(t *testing.T) {
	r, s := state.Attach(httptest.NewRequest("GET", "/", nil))
	type k struct{}
	derived := context.WithValue(r.Context(), k{}, 1)
	if state.From(r.Context()) != s || state.From(derived) != s {
		t.Error("From lost the State")
	}
	if state.From(context.Background()) != nil {
		t.Error("From found a State where none was attached")
	}
}

func TestSetETagKeepsTheFirstTag(t *testing.T) {
	var s state.State
	a := [state.ETagLen]byte{'"', 'a'}
	b := [state.ETagLen]byte{'"', 'b'}
	first := s.SetETag(a)
	if first[0] != string(a[:]) {
		t.Fatalf("SetETag(a) = %q", first)
	}
	if again := s.SetETag(a); &again[0] != &first[0] {
		t.Error("the same tag again is not the kept value")
	}
	if other := s.SetETag(b); other[0] != string(b[:]) || first[0] != string(a[:]) {
		t.Errorf("a second tag: %q, and the first became %q", other[0], first[0])
	}
}
