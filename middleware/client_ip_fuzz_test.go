package middleware

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fuzzIPTrusted are the proxies of FuzzClientIPWalk, as ClientIP is given
// them; the last is IPv4-mapped, which ClientIP reads as 192.168.0.0/16.
var fuzzIPTrusted = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("2001:db8:ffff::/48"),
	netip.MustParsePrefix("::ffff:192.168.0.0/112"),
}

// fuzzIPTrusts is the reference's trust rule: the prefixes as the doc
// comment says they are read, the mapped one as IPv4.
func fuzzIPTrusts(a netip.Addr) bool {
	for _, p := range []string{"10.0.0.0/8", "2001:db8:ffff::/48", "192.168.0.0/16"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return true
		}
	}
	return false
}

var (
	fuzzIPPort       = regexp.MustCompile(`^[0-9]{1,5}$`)
	fuzzIPObfuscated = regexp.MustCompile(`^_[A-Za-z0-9._-]+$`)
)

// fuzzIPPortOK is the reference port rule: 1 to 5 digits up to 65535, or
// in Forwarded an obfuscated "_name".
func fuzzIPPortOK(p string, forwarded bool) bool {
	if forwarded && fuzzIPObfuscated.MatchString(p) {
		return true
	}
	n, err := strconv.Atoi(p)
	return fuzzIPPort.MatchString(p) && err == nil && n <= 65535
}

// fuzzIPParseHost is the reference address reader of ClientIPFrom's doc
// comment, on netip.ParseAddr: "ip", "ipv4:port", "[ipv6]",
// "[ipv6]:port"; in Forwarded an IPv6 address must be bracketed. The
// result is unmapped and has no zone.
func fuzzIPParseHost(s string, forwarded bool) (netip.Addr, bool) {
	host := s
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 || !strings.Contains(s[1:end], ":") {
			return netip.Addr{}, false
		}
		host = s[1:end]
		if rest := s[end+1:]; rest != "" {
			port, ok := strings.CutPrefix(rest, ":")
			if !ok || !fuzzIPPortOK(port, forwarded) {
				return netip.Addr{}, false
			}
		}
	case strings.Count(s, ":") == 1:
		var port string
		host, port, _ = strings.Cut(s, ":")
		if !fuzzIPPortOK(port, forwarded) {
			return netip.Addr{}, false
		}
	case strings.Count(s, ":") > 1 && forwarded:
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// fuzzIPWalk is the reference walk over the entries, left to right as
// written: from the right, skip empty entries, stop past 64 hops or at an
// entry that does not parse (the answer is then the last address
// validated), return the first untrusted address; when all are trusted,
// the leftmost.
func fuzzIPWalk(entries []string, peer netip.Addr, parse func(string) (netip.Addr, bool)) netip.Addr {
	last, hops := peer, 0
	for i := len(entries) - 1; i >= 0; i-- {
		e := strings.Trim(entries[i], " \t")
		if e == "" {
			continue
		}
		if hops++; hops > clientIPMaxHops {
			return last
		}
		a, ok := parse(e)
		if !ok {
			return last
		}
		if !fuzzIPTrusts(a) {
			return a
		}
		last = a
	}
	return last
}

// fuzzFwdLine matches a well-formed RFC 7239 Forwarded line (spaces and
// tabs allowed around separators): elements separated by ',', pairs by
// ';', each pair token "=" (token or quoted-string), empty ones allowed.
var fuzzFwdLine = func() *regexp.Regexp {
	tok := "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
	pair := tok + `=(?:` + tok + `|"(?:[^"\\]|\\.)*")`
	elem := `(?:` + pair + `)?(?:[ \t]*;[ \t]*(?:` + pair + `)?)*`
	return regexp.MustCompile(`^[ \t]*` + elem + `(?:[ \t]*,[ \t]*` + elem + `)*[ \t]*$`)
}()

// fuzzFwdSplit splits s left to right at sep outside quoted-strings,
// where a backslash escapes the next byte. Only for well-formed lines.
func fuzzFwdSplit(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// fuzzFwdElement reads the one for= node of a Forwarded element, by the
// doc comment: no for=, two of them, or a node that is not an address
// (quoted-pairs included) is malformed.
func fuzzFwdElement(elem string) (netip.Addr, bool) {
	var (
		addr  netip.Addr
		found bool
	)
	for _, pair := range fuzzFwdSplit(elem, ';') {
		key, v, _ := strings.Cut(strings.Trim(pair, " \t"), "=")
		if !strings.EqualFold(key, "for") {
			continue
		}
		if found {
			return netip.Addr{}, false
		}
		if q, ok := strings.CutPrefix(v, `"`); ok {
			if v = strings.TrimSuffix(q, `"`); strings.Contains(v, `\`) {
				return netip.Addr{}, false
			}
		}
		a, ok := fuzzIPParseHost(v, true)
		if !ok {
			return netip.Addr{}, false
		}
		addr, found = a, true
	}
	return addr, found
}

// fuzzFwdFor matches a for= value at the start of a string; it is tried
// at every offset of a Forwarded header (matches may overlap, as in
// `for=",for="[::1]"`), to find the addresses a walk may return besides
// the peer.
var fuzzFwdFor = regexp.MustCompile("^(?i)for[ \t]*=[ \t]*(\"[^\"\\\\]*\"|[!#$%&'*+.^_`|~0-9A-Za-z-]+)")

// fuzzIPPeers are the RemoteAddrs of FuzzClientIPWalk besides the fuzzed
// one: trusted proxies in each notation.
var fuzzIPPeers = []string{"10.0.0.1:1234", "[2001:db8:ffff::1]:443", "192.168.1.1", "[::ffff:10.1.2.3]:80", "[fe80::1%eth0]:1"}

// FuzzClientIPWalk sends fuzzed X-Forwarded-For and Forwarded headers
// (lines split at '\n') from a fuzzed or a trusted peer through ClientIP
// and checks ClientIPFrom against the reference: the peer when it is not
// trusted; otherwise X-Forwarded-For when present, else Forwarded, walked
// by fuzzIPWalk over entries split with strings.Split (Forwarded: when
// every line is well-formed; otherwise the answer must still be the peer
// or an address of some for= in the header).
func FuzzClientIPWalk(f *testing.F) {
	for _, s := range []struct {
		peer     uint8
		remote   string
		xff, fwd string
		hasXFF   bool
	}{
		{0, "203.0.113.7:5000", "10.0.0.2", "", true},
		{1, "", "203.0.113.9, 10.0.0.2", "", true},
		{1, "", "203.0.113.9,\t10.0.0.2:8080, ", "", true},
		{1, "", "1.1.1.1\n203.0.113.9, 10.0.0.2", "", true},
		{1, "", "unknown, 10.0.0.2", "", true},
		{1, "", "10.0.0.3, 10.0.0.2", "", true},
		{2, "", "[2001:db8::1]:80, 2001:db8:ffff::2", "", true},
		{3, "", "::ffff:192.168.9.9, ::ffff:203.0.113.1", "", true},
		{4, "", "", "for=203.0.113.9", true},
		{1, "", "", `for=203.0.113.9;proto=https, for="[2001:db8::1]:8443"`, false},
		{1, "", "", `For=198.51.100.1;by=10.0.0.9, for=10.0.0.2`, false},
		{1, "", "", `for=unknown, for=10.0.0.2`, false},
		{1, "", "", `for=_hidden, for="10.0.0.2:_p1"`, false},
		{1, "", "", `for=1.2.3.4;for=5.6.7.8`, false},
		{1, "", "", `x="a,b;c=d", for=10.0.0.2`, false},
		{1, "", "", `for="1.2.3.4\"", for=10.0.0.2`, false},
		{1, "", "", `for=2001:db8::1`, false},
		{1, "", "", `"unbalanced, for=10.0.0.2`, false},
		{1, "", "", `for=203.0.113.5;x="a\",for=10.0.0.3"`, false}, // an escaped quote does not close
		{1, "", strings.Repeat("10.0.0.9,", 70), "", true},
		{0, "@", "", "", false},
	} {
		f.Add(s.peer, s.remote, s.xff, s.fwd, s.hasXFF)
	}
	h := ClientIP(fuzzIPTrusted...)
	f.Fuzz(func(t *testing.T, peerSel uint8, remote, xff, fwd string, hasXFF bool) {
		if i := int(peerSel) % (len(fuzzIPPeers) + 1); i > 0 {
			remote = fuzzIPPeers[i-1]
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		var xffLines, fwdLines []string
		if hasXFF {
			xffLines = strings.Split(xff, "\n")
			r.Header["X-Forwarded-For"] = xffLines
		}
		if fwd != "" {
			fwdLines = strings.Split(fwd, "\n")
			r.Header["Forwarded"] = fwdLines
		}
		var got netip.Addr
		h(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			got = ClientIPFrom(r)
		})).ServeHTTP(httptest.NewRecorder(), r)

		peer, ok := fuzzIPParseHost(remote, false)
		var want netip.Addr
		switch {
		case !ok || !fuzzIPTrusts(peer):
			want = peer
		case hasXFF:
			want = fuzzIPWalk(strings.Split(strings.Join(xffLines, ","), ","), peer,
				func(e string) (netip.Addr, bool) { return fuzzIPParseHost(e, false) })
		case fwdLines != nil:
			var elems []string
			for _, l := range fwdLines {
				if !fuzzFwdLine.MatchString(l) {
					fuzzIPCheckFound(t, got, peer, fwd)
					return
				}
				elems = append(elems, fuzzFwdSplit(l, ',')...)
			}
			want = fuzzIPWalk(elems, peer, fuzzFwdElement)
		default:
			want = peer
		}
		if got != want {
			t.Fatalf("peer %q, X-Forwarded-For %q, Forwarded %q: client %v, reference %v", remote, xffLines, fwdLines, got, want)
		}
	})
}

// fuzzIPCheckFound checks what holds for any Forwarded header: the client
// is the trusted peer or the address of a for= value in the header.
func fuzzIPCheckFound(t *testing.T, got, peer netip.Addr, fwd string) {
	t.Helper()
	if got == peer {
		return
	}
	for i := range len(fwd) {
		m := fuzzFwdFor.FindStringSubmatch(fwd[i:])
		if m == nil {
			continue
		}
		if a, ok := fuzzIPParseHost(strings.Trim(m[1], `"`), true); ok && a == got {
			return
		}
	}
	t.Fatalf("Forwarded %q: client %v is neither the peer %v nor a for= address of the header", fwd, got, peer)
}
