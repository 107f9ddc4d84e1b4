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
// Threat model: any client can send X-Forwarded-For, Forwarded, X-Real-IP
// and True-Client-IP with any content, so a header is believed only as far
// as it was written by a proxy the server trusts. The only address nobody
// can forge is the peer's, the address of the TCP connection
// (r.RemoteAddr). A trusted proxy appends the address of its own peer to
// the right of what it received, so the header is read from the right, and
// reading stops at the first address that no trusted proxy vouches for.
// Everything to its left was written by that untrusted party and is
// ignored, whatever it says.
//
// The peer is r.RemoteAddr, as "ip:port", "[ipv6]:port" or a bare IP; an
// IPv4-mapped IPv6 address (::ffff:192.0.2.1) is read as IPv4 and an IPv6
// zone is dropped, here and in headers, so neither notation can alias an
// address past the trusted prefixes.
//
//   - When the peer is in none of the trusted prefixes (always, when none
//     are given: the default trusts nothing), the client is the peer and the
//     forwarding headers are ignored entirely.
//   - When the peer is trusted, X-Forwarded-For is walked from the right:
//     every header line, merged in order, entries separated by commas, with
//     optional spaces and tabs; empty entries are skipped. An entry inside a
//     trusted prefix is the next proxy; the first entry that is not is the
//     client. When every entry is trusted, the client is the leftmost one.
//   - Only when the request has no X-Forwarded-For at all is the RFC 7239
//     Forwarded header walked the same way, through the for= parameter of
//     each element. See [ClientIPFrom] for the accepted formats.
//
// The walk fails closed: an entry that is not an address ("unknown", an
// obfuscated "_hidden" identifier, a host name, garbage), an element of
// Forwarded without exactly one for=, or an entry past the 64th ends the
// walk, and the client is the last address validated, the nearest trusted
// hop to the right of the bad entry, never anything to its left. The walk
// reads the header in place, right to left: it costs no allocation
// whatever the header holds, and nothing a client writes to the left of a
// proxy's entry can change how that entry is read.
//
// Deployment rule: because X-Forwarded-For, when present, wins over
// Forwarded, every trusted proxy must append to X-Forwarded-For. A proxy
// that writes only Forwarded must remove any X-Forwarded-For the client
// sent, otherwise the client's header is the one read. X-Real-IP and
// True-Client-IP are never read: a proxy cannot append to them.
//
// Trust only the prefixes of your own proxies and load balancers.
// Trusting 0.0.0.0/0 and ::/0 believes every client, which is the
// behaviour of gorilla's ProxyHeaders that this middleware replaces. An
// IPv4 prefix also matches IPv4-mapped addresses, and an IPv4-mapped
// prefix (::ffff:10.0.0.0/104) is read as the IPv4 one; an IPv6 prefix
// never matches an IPv4 address, even when it covers ::ffff:0:0/96.
//
// ClientIP never rewrites r.RemoteAddr or any header. It panics, at
// construction, when a prefix is invalid (the zero [netip.Prefix], or a
// length beyond the address size), with the message of the error
// [ValidateClientIP] returns, and when it wraps a nil handler.
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

// ClientIPFrom returns the client address that [ClientIP] found for r.
//
// When ClientIP is not in the chain, it returns the peer address parsed
// from r.RemoteAddr, forwarding headers unread. The address is never
// IPv4-mapped and has no zone. It is the zero [netip.Addr] (check with
// IsValid) when r.RemoteAddr is not an address: "@" or "" for a Unix
// socket or a hand-made request, say; ClientIP serves such a request all
// the same, with no address.
//
// The accepted forms are the same everywhere: a dotted-quad IPv4 address
// without leading zeros, an IPv6 address (with an optional zone, dropped),
// "ipv4:port", "[ipv6]" and "[ipv6]:port", where a port is 1 to 5 digits
// up to 65535. X-Forwarded-For entries may take every form; some proxies
// append a port. In Forwarded (RFC 7239) parameter names are
// case-insensitive; the for= value is a token or a quoted-string, an IPv6
// node must be bracketed and so quoted, a port may be obfuscated ("_p1"),
// and a value holding a quoted-pair (a backslash) is malformed, as no
// address needs one.
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
