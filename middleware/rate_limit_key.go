package middleware

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
)

// rateLimitMaxKey is the longest key a store receives as it is; a longer
// one is replaced by its SHA-256, so a key function that passes on client
// data cannot make a store hold megabytes per key.
const rateLimitMaxKey = 256

// errRateLimitNoAddress is the cause of the 500 for a request with no
// client address under the default key.
var errRateLimitNoAddress = errors.New("middleware: RateLimit: the request has no client address (a Unix socket?); set RateLimitConfig.Key")

// RateLimitClientKey returns the key [RateLimit] counts a request under
// when its config has no Key: the client address that [ClientIPFrom]
// returns (so the one [ClientIP] found, trusting forwarding headers only
// from trusted proxies), as text. An IPv6 address is grouped by its /64
// prefix, written as "2001:db8:1:2::/64": one host usually holds a whole
// /64 and could otherwise rotate through it. A request with no address
// (r.RemoteAddr of a Unix socket) is an error, which the middleware
// answers with a 500, rather than one key shared by every such client.
func RateLimitClientKey(r *http.Request) (string, error) {
	var buf [rateLimitAddrKeyLen]byte
	key, err := rateLimitAppendClientKey(buf[:0], r)
	return string(key), err
}

// rateLimitAddrKeyLen is the longest key rateLimitAppendClientKey writes:
// an IPv6 /64 prefix written in full.
const rateLimitAddrKeyLen = len("ffff:ffff:ffff:ffff::/64")

// rateLimitAppendClientKey appends RateLimitClientKey's key to b.
func rateLimitAppendClientKey(b []byte, r *http.Request) ([]byte, error) {
	a := ClientIPFrom(r)
	switch {
	case a.Is4():
		return a.AppendTo(b), nil
	case a.Is6():
		p, _ := a.Prefix(64) // cannot fail: 64 fits an IPv6 address
		return p.AppendTo(b), nil
	}
	return b, errRateLimitNoAddress
}

// rateLimitBoundKey returns key, or "sha256:" and its hex digest when it
// is longer than rateLimitMaxKey.
func rateLimitBoundKey(key string) string {
	if len(key) <= rateLimitMaxKey {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}
