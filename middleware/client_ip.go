package middleware

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/microkit-go/micro/internal/httpsyntax"
	"github.com/microkit-go/micro/internal/state"
)

// clientIPMaxHops bounds the forwarding entries walked per request: a chain
// of proxies longer than this is not a deployment but an attack, and the
// walk fails closed where it stops.
const clientIPMaxHops = 64

// ClientIP returns a middleware that finds the address of the client for
// logs, rate limits and audit trails, and stores it for [ClientIPFrom].
//
// Threat model: any client can send X-Forwarded-For and Forwarded with any
// content; the only address nobody can forge is the peer's (r.RemoteAddr).
// So a header is believed only as far as trusted proxies wrote it. When
// the peer is in none of the trusted prefixes (always, when none are
// given), the client is the peer. Otherwise X-Forwarded-For, or only when
// it is absent the for= parameters of RFC 7239 Forwarded, is walked from
// the right, where each proxy appends its own peer, and the client is the
// first entry outside the trusted prefixes (the leftmost when all are
// trusted). The walk fails closed: an entry that is not an address, a
// Forwarded element without exactly one for=, or an entry past the 64th
// ends it at the nearest trusted hop, never believing anything to its
// left. X-Real-IP and True-Client-IP are never read.
//
// Trust only the prefixes of your own proxies (trusting 0.0.0.0/0 and ::/0
// believes every client), and have each of them append to X-Forwarded-For,
// or remove the client's when it writes only Forwarded. IPv4-mapped
// addresses and prefixes are read as IPv4 and zones are dropped, so no
// notation aliases an address past the prefixes. ClientIP never rewrites
// r.RemoteAddr or a header. An invalid prefix (the zero [netip.Prefix], a
// length beyond the address size) panics at construction, with the message
// of the error [ValidateClientIP] returns, as does a nil handler.
func ClientIP(trusted ...netip.Prefix) func(http.Handler) http.Handler {
	c, err := clientIPCompile(trusted)
	mustValid(err)
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: ClientIP: nil handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			addr := c.resolve(r)
			r, s := state.Attach(r)
			s.Data.ClientIP = addr
			next.ServeHTTP(w, r)
		})
	}
}

// ClientIPFrom returns the client address that [ClientIP] found for r, or,
// when ClientIP is not in the chain, the peer address of r.RemoteAddr,
// forwarding headers unread. The address is never IPv4-mapped and has no
// zone. It is the zero [netip.Addr] (check with IsValid) when r.RemoteAddr
// is not an address ("@" or "" for a Unix socket or a hand-made request);
// ClientIP serves such a request all the same, with no address.
//
// The accepted forms, in r.RemoteAddr and in headers alike, are an IPv4
// address without leading zeros, an IPv6 address (its zone dropped),
// "ipv4:port", "[ipv6]" and "[ipv6]:port", with a port of 1 to 5 digits up
// to 65535 (some proxies append one in X-Forwarded-For). In Forwarded,
// parameter names are case-insensitive, for= is a token or a
// quoted-string, an IPv6 node is bracketed and quoted, a port may be
// obfuscated ("_p1"), and a value holding a quoted-pair is malformed.
func ClientIPFrom(r *http.Request) netip.Addr {
	if s := state.From(r.Context()); s != nil && s.Data.ClientIP.IsValid() {
		return s.Data.ClientIP
	}
	a, _ := clientIPParseHost(r.RemoteAddr, false)
	return a
}

// clientIPConfig is the immutable configuration of one ClientIP.
type clientIPConfig struct {
	trusted []netip.Prefix // masked; IPv4-mapped prefixes unmapped
}

// trusts reports whether a, unmapped and without a zone, is a trusted proxy.
func (c *clientIPConfig) trusts(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// resolve returns the client address of r.
func (c *clientIPConfig) resolve(r *http.Request) netip.Addr {
	peer, ok := clientIPParseHost(r.RemoteAddr, false)
	if !ok || !c.trusts(peer) {
		return peer
	}
	// Direct map access: the keys are canonical, as net/http and
	// Header.Add store them, and the lookup costs no canonicalisation.
	// X-Forwarded-For, when present, wins over Forwarded: a proxy that
	// writes only Forwarded must remove the client's X-Forwarded-For.
	// X-Real-IP and True-Client-IP are never read, since a proxy cannot
	// append to them.
	if xff := r.Header["X-Forwarded-For"]; len(xff) > 0 {
		return c.walkXFF(xff, peer)
	}
	if fwd := r.Header["Forwarded"]; len(fwd) > 0 {
		return c.walkForwarded(fwd, peer)
	}
	return peer
}

// walkXFF walks X-Forwarded-For lines from the right; last is the trusted
// peer. It returns the first untrusted entry, or the last address
// validated when an entry is malformed, the hop limit is reached or the
// entries run out.
func (c *clientIPConfig) walkXFF(lines []string, last netip.Addr) netip.Addr {
	return c.walk(lines, last, clientIPLastComma, clientIPEntry)
}

// walkForwarded walks Forwarded lines from the right, element by element,
// as walkXFF does entries.
func (c *clientIPConfig) walkForwarded(lines []string, last netip.Addr) netip.Addr {
	return c.walk(lines, last, forwardedLastComma, forwardedFor)
}

// walk is walkXFF and walkForwarded: split returns the index of the last
// separator of s (-1 when there is none), or false when s cannot be split
// (a quoted-string left open); parse reads one entry.
//
// Every header line is walked, merged in order, entries separated by
// commas with optional spaces and tabs; empty entries are skipped. The
// header is read in place, right to left: the walk costs no allocation
// whatever the header holds, and nothing a client writes to the left of a
// proxy's entry can change how that entry is read. Where it stops, the
// client is the last address validated, the nearest trusted hop to the
// right of the bad entry.
func (c *clientIPConfig) walk(lines []string, last netip.Addr,
	split func(string) (int, bool), parse func(string) (netip.Addr, bool)) netip.Addr {
	hops := 0
	for li := len(lines) - 1; li >= 0; li-- {
		s := lines[li]
		for {
			i, ok := split(s)
			if !ok {
				return last
			}
			entry := httpsyntax.TrimOWS(s[i+1:])
			if entry != "" {
				if hops++; hops > clientIPMaxHops {
					return last
				}
				a, ok := parse(entry)
				if !ok {
					return last
				}
				if !c.trusts(a) {
					return a
				}
				last = a
			}
			if i < 0 {
				break
			}
			s = s[:i]
		}
	}
	return last
}

// clientIPLastComma splits X-Forwarded-For, whose entries hold no quotes.
func clientIPLastComma(s string) (int, bool) { return strings.LastIndexByte(s, ','), true }

// clientIPEntry parses an X-Forwarded-For entry.
func clientIPEntry(e string) (netip.Addr, bool) { return clientIPParseHost(e, false) }

// forwardedLastComma splits Forwarded between elements, outside quotes.
func forwardedLastComma(s string) (int, bool) { return forwardedLastSep(s, ',') }

// ValidateClientIP reports whether [ClientIP] accepts trusted: nil, or a
// [*ConfigError] for an invalid prefix.
func ValidateClientIP(trusted ...netip.Prefix) error {
	_, err := clientIPCompile(trusted)
	return err
}

// clientIPCompile checks the trusted prefixes and returns them masked, an
// IPv4-mapped one as IPv4, or the [*ConfigError] that says what is wrong.
// An IPv4 prefix thus also matches IPv4-mapped addresses (they are
// unmapped before the match), and an IPv6 prefix never matches an IPv4
// address, even when it covers ::ffff:0:0/96. Trusting 0.0.0.0/0 and ::/0
// is the behaviour of gorilla's ProxyHeaders, which ClientIP replaces.
func clientIPCompile(trusted []netip.Prefix) (*clientIPConfig, error) {
	c := &clientIPConfig{trusted: make([]netip.Prefix, 0, len(trusted))}
	for i, p := range trusted {
		if !p.IsValid() {
			return nil, configError("ClientIP", fmt.Sprintf("middleware: ClientIP: trusted prefix %d (%s) is invalid", i, p))
		}
		p = p.Masked()
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		c.trusted = append(c.trusted, p)
	}
	return c, nil
}
