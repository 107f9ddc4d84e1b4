package middleware

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro/internal/testkit"
)

// clientIPCase is one request through ClientIP: the trusted prefixes, the
// peer, the header lines in order ("Name: value") and the client address
// expected ("" for the zero Addr).
type clientIPCase struct {
	name    string
	trusted []string
	remote  string
	headers []string
	want    string
}

// clientIPLB is the load balancers' prefix of most cases.
var clientIPLB = []string{"10.0.0.0/8"}

// clientIPViaLB is the case of a request from the load balancer 10.0.0.1
// (trusted as clientIPLB) with the header lines given.
func clientIPViaLB(name string, headers []string, want string) clientIPCase {
	return clientIPCase{name: name, trusted: clientIPLB, remote: "10.0.0.1:1", headers: headers, want: want}
}

// clientIPRun serves c through ClientIP and checks the address the
// handler reads, that the handler ran and that the request reached it
// unchanged.
func clientIPRun(t *testing.T, c clientIPCase) {
	t.Helper()
	var prefixes []netip.Prefix
	for _, p := range c.trusted {
		prefixes = append(prefixes, netip.MustParsePrefix(p))
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = c.remote
	for _, h := range c.headers {
		name, value, _ := strings.Cut(h, ": ")
		r.Header.Add(name, value)
	}
	before := r.Header.Clone()
	var got netip.Addr
	served := false
	h := ClientIP(prefixes...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served = true
		got = ClientIPFrom(r)
		if r.RemoteAddr != c.remote {
			t.Errorf("RemoteAddr = %q, want it unchanged: %q", r.RemoteAddr, c.remote)
		}
		if diff := cmp.Diff(before, r.Header); diff != "" {
			t.Errorf("request header changed (-before +after):\n%s", diff)
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if !served || rec.Code != http.StatusOK {
		t.Fatalf("request not served: handler ran %v, status %d", served, rec.Code)
	}
	var want netip.Addr
	if c.want != "" {
		want = netip.MustParseAddr(c.want)
	}
	if got != want {
		t.Errorf("ClientIPFrom = %v, want %v", got, want)
	}
}

func clientIPRunAll(t *testing.T, cases []clientIPCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { clientIPRun(t, c) })
	}
}

func TestClientIPUntrustedPeerHeadersIgnored(t *testing.T) {
	spoof := []string{
		"X-Forwarded-For: 198.51.100.66",
		"Forwarded: for=198.51.100.67",
		"X-Real-IP: 198.51.100.68",
		"True-Client-IP: 198.51.100.69",
	}
	clientIPRunAll(t, []clientIPCase{
		{name: "nothing trusted by default: the peer is the client", remote: "203.0.113.9:4000", headers: spoof, want: "203.0.113.9"},
		{name: "trusted proxy as the peer's address is no trusted peer", remote: "203.0.113.9:4000", trusted: clientIPLB,
			headers: []string{"X-Forwarded-For: 10.0.0.1"}, want: "203.0.113.9"},
		{name: "peer outside the trusted prefixes", remote: "203.0.113.9:4000", trusted: clientIPLB, headers: spoof, want: "203.0.113.9"},
		{name: "X-Real-IP and True-Client-IP ignored even from a trusted peer", remote: "10.0.0.1:4000", trusted: clientIPLB,
			headers: spoof[2:], want: "10.0.0.1"},
		{name: "IPv6 peer outside an IPv4-only trust list", remote: "[2001:db8::9]:4000", trusted: clientIPLB, headers: spoof, want: "2001:db8::9"},
	})
}

func TestClientIPFailsClosed(t *testing.T) {
	xff := func(v string) []string { return []string{"X-Forwarded-For: " + v} }
	fwd := func(v string) []string { return []string{"Forwarded: " + v} }
	var cases []clientIPCase
	for _, bad := range []string{
		"garbage", "unknown", "_hidden", "example.com", "01.2.3.4", "1.2.3.256", "1.2.3", "192.0.2.1:", "192.0.2.1:65536",
		"192.0.2.1:http", "[192.0.2.1]", "[2001:db8::1", "[2001:db8::1]x", "2001:db8::1%", "1.2.3.4%eth0", "\"1.2.3.4\"",
		"2001:db8:::1", "1.2.3.4 5.6.7.8", "192.0.2.1:_p1",
	} {
		cases = append(cases,
			clientIPCase{name: "XFF " + bad + " right of the client stops at the trusted hop", trusted: clientIPLB, remote: "10.0.0.1:1",
				headers: xff("203.0.113.9, " + bad + ", 10.0.0.2"), want: "10.0.0.2"},
			clientIPCase{name: "XFF " + bad + " alone leaves the peer", trusted: clientIPLB, remote: "10.0.0.1:1",
				headers: xff(bad), want: "10.0.0.1"})
	}
	for _, bad := range []string{
		"for=unknown", "for=_hidden", `for="_hidden"`, `for="unknown:80"`, "for=2001:db8::1", `for="2001:db8::1"`,
		"for=[2001:db8::1]", "for=192.0.2.1:80", `for="192.0.2.1:_"`, `for="192.0.2.1:p"`, `for="[2001:db8::1]:x"`,
		`for="\1.2.3.4"`, `for="1.2.3.4`, `for=1.2.3.4"`, "proto=https", "by=10.0.0.9", "for=203.0.113.9;for=203.0.113.8",
		"for=203.0.113.9;proto", "for", "=203.0.113.9", "for=", ";", `for="203.0.113.9`, `for=203.0.113.9;ext="open`, `ext=a"b;for=203.0.113.9`,
	} {
		cases = append(cases,
			clientIPCase{name: "Forwarded " + bad + " right of the client stops at the trusted hop", trusted: clientIPLB, remote: "10.0.0.1:1",
				headers: fwd("for=203.0.113.9, " + bad + ", for=10.0.0.2"), want: "10.0.0.2"},
			clientIPCase{name: "Forwarded " + bad + " alone leaves the peer", trusted: clientIPLB, remote: "10.0.0.1:1",
				headers: fwd(bad), want: "10.0.0.1"})
	}
	cases = append(cases,
		clientIPViaLB("garbage on an earlier XFF line stops at the later line", []string{"X-Forwarded-For: 203.0.113.9, nope", "X-Forwarded-For: 10.0.0.3, 10.0.0.2"}, "10.0.0.3"),
		clientIPViaLB("Forwarded quote left open across elements", fwd(`for="203.0.113.9, for=10.0.0.2`), "10.0.0.2"),
	)
	clientIPRunAll(t, cases)
}

func TestClientIPHopLimit(t *testing.T) {
	chain := func(client string, trusted int) string {
		entries := []string{client}
		for i := trusted; i >= 1; i-- {
			entries = append(entries, netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).String())
		}
		return strings.Join(entries, ", ")
	}
	fwdChain := "for=" + strings.ReplaceAll(chain("203.0.113.9", 63), ", ", ", for=")
	fwdOver := "for=" + strings.ReplaceAll(chain("203.0.113.9", 64), ", ", ", for=")
	clientIPRunAll(t, []clientIPCase{
		clientIPViaLB("the 65th entry is not read: the 64th (trusted) is the client", []string{"X-Forwarded-For: " + chain("203.0.113.9", 64)}, "10.0.0.64"),
		clientIPViaLB("the 64th entry is read", []string{"X-Forwarded-For: " + chain("203.0.113.9", 63)}, "203.0.113.9"),
		clientIPViaLB("the limit counts across lines", []string{"X-Forwarded-For: 203.0.113.9, 10.0.0.100", "X-Forwarded-For: " + chain("10.0.0.99", 63)}, "10.0.0.99"),
		clientIPViaLB("empty entries do not count", []string{"X-Forwarded-For: " + chain("203.0.113.9", 63) + strings.Repeat(", ", 200)}, "203.0.113.9"),
		clientIPViaLB("Forwarded: the 64th element is read", []string{"Forwarded: " + fwdChain}, "203.0.113.9"),
		clientIPViaLB("Forwarded: the 65th element is not read", []string{"Forwarded: " + fwdOver}, "10.0.0.64"),
	})
}

// TestClientIPHostileHeaderCostsNoAllocation serves 100 KB headers to a
// request that already carries its state (as in a chain), where the
// middleware must allocate nothing at all.
func TestClientIPHostileHeaderCostsNoAllocation(t *testing.T) {
	const size = 100 << 10
	fill := func(unit string) string { return strings.Repeat(unit, size/len(unit)) }
	cases := []struct {
		name, header, value, want string
	}{
		{"one 100 KB garbage entry", "X-Forwarded-For", fill("9") + ", 10.0.0.2", "10.0.0.2"},
		{"100 KB of trusted hops stops at the limit", "X-Forwarded-For", "203.0.113.9, " + fill("10.0.0.3, 10.0.0.2, "), "10.0.0.3"},
		{"100 KB of empty entries leaves the peer", "X-Forwarded-For", fill(" ,\t"), "10.0.0.1"},
		{"100 KB of almost-addresses", "X-Forwarded-For", fill("1.2.3:") + ", 10.0.0.2", "10.0.0.2"},
		{"100 KB of IPv6 with zones", "X-Forwarded-For", "203.0.113.9, " + fill("::1%lo, "), "::1"},
		{"100 KB of Forwarded elements", "Forwarded", "for=203.0.113.9, " + fill(`for="[::1]:9";proto=https, `), "::1"},
		{"100 KB of Forwarded quotes", "Forwarded", fill(`"\"`) + ", for=10.0.0.2", "10.0.0.2"},
		{"100 KB of Forwarded pairs in one element", "Forwarded", fill("a=b;") + "for=203.0.113.9", "203.0.113.9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got netip.Addr
			h := ClientIP(netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"))(
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIPFrom(r) }))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = "10.0.0.1:1"
			r.Header.Set(c.header, c.value)
			var withState *http.Request
			ClientIP()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { withState = r })).ServeHTTP(nil, r)
			allocs := testing.AllocsPerRun(20, func() { h.ServeHTTP(nil, withState) })
			if allocs != 0 {
				t.Errorf("%v allocations per request, want 0", allocs)
			}
			if want := netip.MustParseAddr(c.want); got != want {
				t.Errorf("ClientIPFrom = %v, want %v", got, want)
			}
		})
	}
}

func TestClientIPRemoteAddr(t *testing.T) {
	clientIPRunAll(t, []clientIPCase{
		{name: "empty RemoteAddr: no address, still served", remote: "", want: ""},
		{name: "unix socket @: no address, still served", remote: "@", want: ""},
		{name: "unix socket @ behind a trusted-everything list ignores headers", remote: "@",
			trusted: []string{"0.0.0.0/0", "::/0"}, headers: []string{"X-Forwarded-For: 203.0.113.9"}, want: ""},
		{name: "host name: no address", remote: "localhost:80", want: ""},
		{name: "unclosed bracket: no address", remote: "[2001:db8::1:80", want: ""},
		{name: "empty port: no address", remote: "192.0.2.1:", want: ""},
		{name: "IPv4 with port", remote: "192.0.2.1:1234", want: "192.0.2.1"},
		{name: "bare IPv4", remote: "192.0.2.1", want: "192.0.2.1"},
		{name: "IPv4 with the widest fields and port", remote: "255.255.255.255:65535", want: "255.255.255.255"},
		{name: "IPv4 of zeros", remote: "0.0.0.0:1", want: "0.0.0.0"},
		{name: "IPv4 field over 255: no address", remote: "192.0.2.256:80", want: ""},
		{name: "IPv4 field of four digits: no address", remote: "192.0.2.0001:80", want: ""},
		{name: "IPv4 leading zero: no address", remote: "192.0.2.01:80", want: ""},
		{name: "IPv4 with three fields: no address", remote: "192.0.2:80", want: ""},
		{name: "IPv4 with five fields: no address", remote: "192.0.2.1.5:80", want: ""},
		{name: "IPv4 port over 65535: no address", remote: "192.0.2.1:65536", want: ""},
		{name: "IPv4 port of six digits: no address", remote: "192.0.2.1:000080", want: ""},
		{name: "IPv4 port with a sign: no address", remote: "192.0.2.1:+80", want: ""},
		{name: "IPv4 with two ports: no address", remote: "192.0.2.1:80:80", want: ""},
		{name: "IPv6 with port", remote: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "bare IPv6", remote: "2001:db8::1", want: "2001:db8::1"},
		{name: "IPv6 with zone and port: zone dropped", remote: "[fe80::1%eth0]:443", want: "fe80::1"},
		{name: "bare IPv6 with zone: zone dropped", remote: "fe80::1%eth0", want: "fe80::1"},
		{name: "IPv4-mapped IPv6 peer unmapped", remote: "[::ffff:192.0.2.1]:80", want: "192.0.2.1"},
		{name: "IPv4-mapped peer matches an IPv4 prefix", remote: "[::ffff:10.1.2.3]:80", trusted: clientIPLB,
			headers: []string{"X-Forwarded-For: 203.0.113.9"}, want: "203.0.113.9"},
	})
}

func TestClientIPXForwardedFor(t *testing.T) {
	one := func(v string) []string { return []string{"X-Forwarded-For: " + v} }
	v6 := []string{"10.0.0.0/8", "2001:db8:ffff::/48"}
	clientIPRunAll(t, []clientIPCase{
		clientIPViaLB("one hop: the entry the proxy appended", one("198.51.100.1, 203.0.113.9"), "203.0.113.9"),
		clientIPViaLB("two hops", one("198.51.100.1, 203.0.113.9, 10.0.0.2"), "203.0.113.9"),
		clientIPViaLB("three hops", one("198.51.100.1, 203.0.113.9, 10.0.0.3, 10.0.0.2"), "203.0.113.9"),
		clientIPViaLB("all trusted: the leftmost entry", one("10.0.0.4, 10.0.0.3, 10.0.0.2"), "10.0.0.4"),
		clientIPViaLB("present but empty: the peer", one(""), "10.0.0.1"),
		clientIPViaLB("empty entries skipped", one(",198.51.100.1,, 203.0.113.9 , ,10.0.0.2,"), "203.0.113.9"),
		clientIPViaLB("no spaces after commas", one("198.51.100.1,203.0.113.9"), "203.0.113.9"),
		clientIPViaLB("tabs and spaces around entries", one("198.51.100.1 ,\t203.0.113.9\t,  10.0.0.2  "), "203.0.113.9"),
		clientIPViaLB("several lines merged in order", []string{"X-Forwarded-For: 198.51.100.1", "X-Forwarded-For: 203.0.113.9, 10.0.0.3", "X-Forwarded-For: 10.0.0.2"}, "203.0.113.9"),
		clientIPViaLB("an empty line among several", []string{"X-Forwarded-For: 203.0.113.9", "X-Forwarded-For: ", "X-Forwarded-For: 10.0.0.2"}, "203.0.113.9"),
		clientIPViaLB("IPv4 with a port", one("203.0.113.9:5555, 10.0.0.2:80"), "203.0.113.9"),
		{name: "bare IPv6", trusted: v6, remote: "[2001:db8:ffff::1]:1",
			headers: one("2001:db8::9, 2001:db8:ffff::2"), want: "2001:db8::9"},
		{name: "bracketed IPv6 with and without port", trusted: v6, remote: "[2001:db8:ffff::1]:1",
			headers: one("[2001:db8::9]:4711, [2001:db8:ffff::2]"), want: "2001:db8::9"},
		{name: "IPv6 zone dropped before the trust check", trusted: []string{"fe80::/64"}, remote: "[fe80::1%eth0]:1",
			headers: one("2001:db8::9, fe80::2%eth0, [fe80::3%25x]:80"), want: "2001:db8::9"},
		clientIPViaLB("IPv4-mapped entry is a trusted IPv4 proxy", one("203.0.113.9, ::ffff:10.0.0.2"), "203.0.113.9"),
		clientIPViaLB("IPv4-mapped client unmapped", one("[::ffff:203.0.113.9]:80"), "203.0.113.9"),
		clientIPViaLB("X-Forwarded-For wins over Forwarded", []string{"Forwarded: for=198.51.100.1", "X-Forwarded-For: 203.0.113.9"}, "203.0.113.9"),
		clientIPViaLB("an empty X-Forwarded-For still wins over Forwarded", []string{"Forwarded: for=198.51.100.1", "X-Forwarded-For: "}, "10.0.0.1"),
	})
}

func TestClientIPForwarded(t *testing.T) {
	one := func(v string) []string { return []string{"Forwarded: " + v} }
	v6 := []string{"10.0.0.0/8", "2001:db8:ffff::/48"}
	clientIPRunAll(t, []clientIPCase{
		clientIPViaLB("one element", one("for=203.0.113.9"), "203.0.113.9"),
		clientIPViaLB("quoted IPv4", one(`for="203.0.113.9"`), "203.0.113.9"),
		clientIPViaLB("quoted IPv4 with port", one(`for="203.0.113.9:4711"`), "203.0.113.9"),
		clientIPViaLB("quoted IPv4 with obfuscated port", one(`for="203.0.113.9:_p-1.x"`), "203.0.113.9"),
		{name: "bracketed IPv6", trusted: v6, remote: "10.0.0.1:1", headers: one(`for="[2001:db8::9]"`), want: "2001:db8::9"},
		{name: "bracketed IPv6 with port", trusted: v6, remote: "10.0.0.1:1",
			headers: one(`for="[2001:db8::9]:4711"`), want: "2001:db8::9"},
		clientIPViaLB("mixed-case parameter names", one("For=203.0.113.9, FOR=10.0.0.2"), "203.0.113.9"),
		clientIPViaLB("other parameters around for", one(`proto=https;For="203.0.113.9";by=10.0.0.2;host=example.com`), "203.0.113.9"),
		clientIPViaLB("spaces around pairs and elements", one(" for=198.51.100.1 ,for=203.0.113.9 ; proto=http ,  for=10.0.0.2 "), "203.0.113.9"),
		{name: "several elements and hops", trusted: v6, remote: "10.0.0.1:1",
			headers: one(`for=198.51.100.1, for="[2001:db8::9]:1", for="[2001:db8:ffff::3]", for=10.0.0.2`), want: "2001:db8::9"},
		clientIPViaLB("several lines merged in order", []string{"Forwarded: for=198.51.100.1, for=203.0.113.9", "Forwarded: for=10.0.0.2"}, "203.0.113.9"),
		clientIPViaLB("comma and semicolon inside another quoted parameter", one(`for=198.51.100.1, for=203.0.113.9;ext="a, for=10.0.0.7; b=\"c\\"`), "203.0.113.9"),
		clientIPViaLB("a quoted comma does not end the element", one(`for=203.0.113.9;ext="x, for=198.51.100.1"`), "203.0.113.9"),
		clientIPViaLB("a quoted semicolon does not end the pair", one(`for=203.0.113.9;ext="x; for=198.51.100.1"`), "203.0.113.9"),
		clientIPViaLB("empty elements and pairs skipped", one(", for=203.0.113.9;;proto=http; , ,for=10.0.0.2,"), "203.0.113.9"),
		clientIPViaLB("all trusted: the leftmost", one("for=10.0.0.3, for=10.0.0.2"), "10.0.0.3"),
		clientIPViaLB("unknown left of the client is never reached", one("for=unknown, for=203.0.113.9"), "203.0.113.9"),
	})
}

func TestClientIPTrustedPrefixes(t *testing.T) {
	clientIPRunAll(t, []clientIPCase{
		{name: "a prefix with host bits covers its whole network", trusted: []string{"10.1.2.3/8"}, remote: "10.200.0.1:1",
			headers: []string{"X-Forwarded-For: 203.0.113.9"}, want: "203.0.113.9"},
		{name: "an IPv4-mapped prefix matches IPv4", trusted: []string{"::ffff:10.0.0.0/104"}, remote: "10.0.0.1:1",
			headers: []string{"X-Forwarded-For: 203.0.113.9, 10.0.0.2"}, want: "203.0.113.9"},
		{name: "an IPv6 prefix never matches IPv4", trusted: []string{"::/0"}, remote: "10.0.0.1:1",
			headers: []string{"X-Forwarded-For: 203.0.113.9"}, want: "10.0.0.1"},
		{name: "a single-address prefix", trusted: []string{"10.0.0.1/32"}, remote: "10.0.0.1:1",
			headers: []string{"X-Forwarded-For: 203.0.113.9, 10.0.0.2"}, want: "10.0.0.2"},
		{name: "several prefixes", trusted: []string{"192.168.0.0/16", "10.0.0.0/8"}, remote: "10.0.0.1:1",
			headers: []string{"X-Forwarded-For: 203.0.113.9, 192.168.1.1"}, want: "203.0.113.9"},
	})
}

func TestClientIPPanicsOnBadConfiguration(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	cases := []struct {
		name string
		f    func()
	}{
		{"zero prefix", func() { ClientIP(netip.Prefix{}) }},
		{"IPv4 prefix longer than 32 bits", func() { ClientIP(netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 33)) }},
		{"invalid prefix after valid ones", func() {
			ClientIP(netip.MustParsePrefix("10.0.0.0/8"), netip.PrefixFrom(netip.Addr{}, 8))
		}},
		{"nil handler", func() { ClientIP()(nil) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg, _ := testkit.Recover(c.f).(string)
			if !strings.HasPrefix(msg, "middleware: ClientIP: ") {
				t.Errorf("panic %q, want one starting %q", msg, "middleware: ClientIP: ")
			}
		})
	}
	ClientIP()(ok) // no prefixes at all is the safe default, not an error
}

func TestClientIPFromWithoutMiddleware(t *testing.T) {
	cases := []struct{ remote, want string }{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:1", "192.0.2.1"},
		{"[fe80::1%eth0]:1", "fe80::1"},
		{"@", ""},
		{"", ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		var want netip.Addr
		if c.want != "" {
			want = netip.MustParseAddr(c.want)
		}
		if got := ClientIPFrom(r); got != want {
			t.Errorf("RemoteAddr %q: ClientIPFrom = %v, want the peer %v", c.remote, got, want)
		}
	}
}

// FuzzClientIPParseAddr checks the allocation-free parser against
// netip.ParseAddr: the same inputs accepted, the same address (unmapped,
// without zone) returned.
func FuzzClientIPParseAddr(f *testing.F) {
	for _, s := range []string{
		"", "0.0.0.0", "192.0.2.1", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4.5", "1..2.3",
		".1.2.3", "1.2.3.", "::", "::1", "1::", "1:", ":1", ":::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::",
		"::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "1::2::3", "12345::", "ffff::FFFF", "::ffff:192.0.2.1", "::192.0.2.1",
		"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5::1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "::1.2.3", "::1.2.3.4:5",
		"fe80::1%eth0", "fe80::1%", "1.2.3.4%eth0", "%eth0", "fe80::1%e%f", "g::", "::g", "1.2.3.-4", "1 .2.3.4",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := clientIPParseAddr(s)
		want, err := netip.ParseAddr(s)
		if (err == nil) != ok {
			t.Fatalf("clientIPParseAddr(%q) ok = %v, netip.ParseAddr error = %v", s, ok, err)
		}
		if want = want.Unmap().WithZone(""); ok && got != want {
			t.Fatalf("clientIPParseAddr(%q) = %v, want %v", s, got, want)
		}
	})
}

// FuzzClientIPParsePeer4 checks the one-pass reading of an IPv4 peer
// against net.SplitHostPort and netip.ParseAddr: it accepts exactly an
// unbracketed IPv4 address in its canonical text with a port of one to
// five digits up to 65535, returns that address and its text, and agrees
// with clientIPParseHost.
func FuzzClientIPParsePeer4(f *testing.F) {
	for _, s := range []string{
		"192.0.2.1:1234", "0.0.0.0:0", "255.255.255.255:65535", "256.0.0.1:1", "1.2.3.4:65536", "1.2.3.4:", "1.2.3.4",
		"01.2.3.4:1", "1.2.3.04:1", "1.2.3:1", "1.2.3.4.5:1", "1..2.3:1", "1.2.3.4:+1", "1.2.3.4:000001", "1.2.3.4:1:2",
		"[1.2.3.4]:1", "1.2.3.4%eth0:1", "1000.2.3.4:1", "::ffff:1.2.3.4", "[::1]:80", "1.2.3.4: 1", " 1.2.3.4:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, text, ok := clientIPParsePeer4(s)
		want, wantOK := netip.Addr{}, false
		if host, port, err := net.SplitHostPort(s); err == nil && !strings.HasPrefix(s, "[") {
			n, err := strconv.Atoi(port)
			digits := port != "" && len(port) <= 5 && strings.Trim(port, "0123456789") == ""
			if a, perr := netip.ParseAddr(host); perr == nil && a.Is4() && a.String() == host && err == nil && digits && n <= 65535 {
				want, wantOK = a, true
			}
		}
		if ok != wantOK || got != want {
			t.Fatalf("clientIPParsePeer4(%q) = %v, %v; want %v, %v", s, got, ok, want, wantOK)
		}
		if !ok {
			return
		}
		if text != want.String() {
			t.Fatalf("clientIPParsePeer4(%q) text %q, want %q", s, text, want.String())
		}
		if a, hostOK := clientIPParseHost(s, false); !hostOK || a != want {
			t.Fatalf("clientIPParseHost(%q) = %v, %v; clientIPParsePeer4 %v", s, a, hostOK, want)
		}
	})
}

// FuzzClientIPLeftIsIgnored checks the security property of the walk:
// once an untrusted client is found, nothing written to its left (by that
// client) changes the answer.
func FuzzClientIPLeftIsIgnored(f *testing.F) {
	f.Add(false, "203.0.113.9, 10.0.0.2", "1.1.1.1")
	f.Add(true, "for=203.0.113.9, for=10.0.0.2", `"`)
	f.Add(true, `for="[2001:db8::1]:80";proto=http`, `x="a,b`)
	f.Add(false, "[::ffff:203.0.113.9]:1", "garbage")
	c := &clientIPConfig{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}}
	peer := netip.MustParseAddr("10.0.0.1")
	f.Fuzz(func(t *testing.T, forwarded bool, header, left string) {
		walk := c.walkXFF
		if forwarded {
			walk = c.walkForwarded
		}
		got := walk([]string{header}, peer)
		if c.trusts(got) {
			return
		}
		if again := walk([]string{left + "," + header}, peer); again != got {
			t.Fatalf("header %q gives %v, with %q to its left %v", header, got, left, again)
		}
		if again := walk([]string{left, header}, peer); again != got {
			t.Fatalf("header %q gives %v, after a line %q %v", header, got, left, again)
		}
	})
}

// clientIPNaiveLeftmost is the peer baseline, written inline: gorilla's
// ProxyHeaders reading of X-Forwarded-For, which believes the leftmost
// entry of any client and overwrites RemoteAddr with it.
func clientIPNaiveLeftmost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
			i := strings.Index(fwd, ", ")
			if i < 0 {
				i = len(fwd)
			}
			r.RemoteAddr = fwd[:i]
		}
		next.ServeHTTP(w, r)
	})
}

// BenchmarkClientIP measures, for each header shape, the bare handler, the
// naive leftmost-X-Forwarded-For baseline and ClientIP: alone (it attaches
// the per-request state, one clone of the request) and in a chain where
// the state is already attached (what ClientIP itself costs).
func BenchmarkClientIP(b *testing.B) {
	hops := func(n int) string {
		entries := []string{"203.0.113.9"}
		for i := n; i >= 1; i-- {
			entries = append(entries, netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}).String())
		}
		return strings.Join(entries, ", ")
	}
	cases := []struct {
		name, remote, header, value string
	}{
		{"no-header", "203.0.113.9:40000", "", ""},
		{"xff-1-hop", "10.0.0.1:40000", "X-Forwarded-For", hops(0)},
		{"xff-10-hops", "10.0.0.1:40000", "X-Forwarded-For", hops(9)},
		{"forwarded-2-hops", "10.0.0.1:40000", "Forwarded", `for="[2001:db8::9]:4711";proto=https, for=10.0.0.2`},
	}
	bare := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	clientIP := ClientIP(netip.MustParsePrefix("10.0.0.0/8"))
	for _, c := range cases {
		newRequest := func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.remote
			if c.header != "" {
				r.Header.Set(c.header, c.value)
			}
			return r
		}
		run := testkit.Bench
		b.Run("case="+c.name+"/impl=bare", func(b *testing.B) { run(b, bare, newRequest()) })
		b.Run("case="+c.name+"/impl=naive-leftmost-xff", func(b *testing.B) { run(b, clientIPNaiveLeftmost(bare), newRequest()) })
		b.Run("case="+c.name+"/impl=micro", func(b *testing.B) { run(b, clientIP(bare), newRequest()) })
		b.Run("case="+c.name+"/impl=micro-in-chain", func(b *testing.B) {
			var attached *http.Request
			clientIP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { attached = r })).ServeHTTP(nil, newRequest())
			run(b, clientIP(bare), attached)
		})
	}
}
