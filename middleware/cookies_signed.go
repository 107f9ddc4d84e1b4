package middleware

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"net/http"
	"strings"
	"sync"

	"github.com/microkit-go/micro/internal/state"
)

// The signed format is documented on SetSignedCookie. Encoding the value
// lets any string through and makes the whole a valid cookie value. The MAC
// covers the name, so a value signed for one cookie is refused under
// another; as the encoded value holds no '=', the MAC's input splits one
// way only.

// cookieSigLen is the length of an encoded HMAC-SHA256: 32 bytes unpadded.
const cookieSigLen = 43

// cookieMaxLen is the most a browser stores of a cookie's name and value
// together (RFC 6265bis, which browsers follow); a longer one is dropped
// without a word.
const cookieMaxLen = 4096

// cookieB64 decodes only canonical encodings, so a signature has one
// spelling. Read-only.
var cookieB64 = base64.RawURLEncoding.Strict()

// cookieError is an error of [SetSignedCookie] that needs no details: a
// constant, so nothing can replace it.
type cookieError string

func (e cookieError) Error() string { return string(e) }

const (
	cookieErrNoKeys   cookieError = "middleware: SetSignedCookie: no Cookies middleware with signing keys in the chain"
	cookieErrNil      cookieError = "middleware: SetSignedCookie: nil cookie"
	cookieErrTooLarge cookieError = "middleware: SetSignedCookie: the signed cookie would be over 4096 bytes, which browsers drop"
)

// SignedCookie returns the value of the request's cookie name if it was
// signed by [SetSignedCookie] with one of the keys of the [Cookies]
// middleware in the chain, and whether it was.
//
// Threat model: the client holds the cookie and can change, drop, replay or
// move it; cookies planted by a sibling subdomain arrive beside the site's
// own. A signature proves that the server set this value under this name,
// nothing more: the value is readable by the client (it is only
// base64-encoded, not encrypted, so keep secrets out of it), and it does not
// expire by itself, so a copied cookie stays good until the keys change.
// Put an expiry in the value when that matters.
//
// Every key is tried, the first (signing) key first, and the MAC is compared
// in constant time with [hmac.Equal]. Anything that does not verify reads as
// "", false, never as an error or a panic: a tampered, truncated, unsigned
// or empty value, one signed for another name or with an unknown key, a
// signature in a non-canonical encoding, a name and value over 4096 bytes,
// and every cookie when the chain has no [Cookies] middleware or it has no
// keys.
func SignedCookieFrom(r *http.Request, name string) (string, bool) {
	s := state.From(r.Context())
	if s == nil || len(s.Data.CookieKeys) == 0 {
		return "", false
	}
	v, ok := CookieFrom(r, name)
	if !ok || len(name)+len(v) > cookieMaxLen {
		return "", false
	}
	dot := strings.LastIndexByte(v, '.')
	if dot < 0 || len(v)-dot-1 != cookieSigLen {
		return "", false
	}
	enc, sig := v[:dot], v[dot+1:]

	m := cookieGetMAC(s.Data.CookieKeys)
	defer m.release()
	m.buf = append(m.buf[:0], sig...)
	if n, err := cookieB64.Decode(m.want[:], m.buf); err != nil || n != sha256.Size {
		return "", false
	}
	m.buf = append(append(append(m.buf[:0], name...), '='), enc...)
	verified := false
	for i := range s.Data.CookieKeys {
		if hmac.Equal(m.sum(i, m.buf), m.want[:]) {
			verified = true
			break
		}
	}
	if !verified {
		return "", false
	}
	// Decode after the encoded copy in buf, so the two never overlap.
	m.buf = append(m.buf[:0], enc...)
	m.buf = append(m.buf, make([]byte, cookieB64.DecodedLen(len(enc)))...)
	n, err := cookieB64.Decode(m.buf[len(enc):], m.buf[:len(enc)])
	if err != nil {
		return "", false // signed, so it cannot happen; fail closed anyway
	}
	return string(m.buf[len(enc) : len(enc)+n]), true
}

// SetSignedCookie adds a Set-Cookie header for c with its value signed by
// the first key of the [Cookies] middleware in the chain, for
// [SignedCookieFrom] to read back. c itself is not modified; all its attributes
// (Path, Domain, MaxAge, Secure, HttpOnly, SameSite…) are kept.
//
// c.Value may be any string, including spaces, semicolons, quotes, non-ASCII
// text and bytes that are not UTF-8: it is base64url-encoded, so it survives
// the trip. The value is signed, not encrypted: the client can read it.
// See [SignedCookieFrom] for what a signature does and does not prove. The
// cookie's value is, in unpadded base64url (RFC 4648 §5),
//
//	base64url(c.Value) "." base64url(HMAC-SHA256(key, c.Name "=" base64url(c.Value)))
//
// so other programs holding the key can check it too.
//
// SetSignedCookie returns an error and sets nothing when the chain has no
// [Cookies] middleware with keys, when c is nil, when c is not valid by
// [http.Cookie.Valid] once signed (an empty or invalid Name, a Path with
// invalid bytes, a bad Domain or Expires, Partitioned without Secure), or
// when the name and signed value together exceed 4096 bytes, which browsers
// silently refuse to store. Like any header, it must be called before the
// response is written.
func SetSignedCookie(w http.ResponseWriter, r *http.Request, c *http.Cookie) error {
	sc, err := SignCookie(r, c)
	if err != nil {
		return err
	}
	w.Header().Add("Set-Cookie", sc.String())
	return nil
}

// SignCookie returns a copy of c with its value signed as [SetSignedCookie]
// signs it, for code that sets headers without a ResponseWriter: a
// micro.Handler route puts sc.String() in its Response's Set-Cookie
// header. It fails, returning nil, in the cases SetSignedCookie does.
func SignCookie(r *http.Request, c *http.Cookie) (*http.Cookie, error) {
	if c == nil {
		return nil, cookieErrNil
	}
	s := state.From(r.Context())
	if s == nil || len(s.Data.CookieKeys) == 0 {
		return nil, cookieErrNoKeys
	}
	encLen := base64.RawURLEncoding.EncodedLen(len(c.Value))
	if len(c.Name)+encLen+1+cookieSigLen > cookieMaxLen {
		return nil, cookieErrTooLarge
	}
	sc := *c
	sc.Value = cookieSign(s.Data.CookieKeys, c.Name, c.Value)
	if err := sc.Valid(); err != nil {
		return nil, errors.New("middleware: SetSignedCookie: " + err.Error())
	}
	return &sc, nil
}

// cookieSign returns the signed form of value for the cookie name, signed
// with keys[0].
func cookieSign(keys [][]byte, name, value string) string {
	m := cookieGetMAC(keys)
	defer m.release()
	encLen := base64.RawURLEncoding.EncodedLen(len(value))
	m.buf = append(append(m.buf[:0], name...), '=')
	m.buf = append(m.buf, make([]byte, encLen)...)
	base64.RawURLEncoding.Encode(m.buf[len(name)+1:], []byte(value))
	sum := m.sum(0, m.buf)
	out := make([]byte, 0, encLen+1+cookieSigLen)
	out = append(out, m.buf[len(name)+1:]...)
	out = append(out, '.')
	out = base64.RawURLEncoding.AppendEncode(out, sum)
	return string(out)
}

// cookieMACs is pooled scratch for signing and verifying: an HMAC per key,
// built on first use, and buffers. A pooled value serves one key set (one
// [Cookies] middleware) at a time, recognised by the address of its first
// entry, which the middleware's private copy makes unique; a different set
// starts it afresh, so several Cookies middlewares share the pool correctly,
// only less efficiently.
type cookieMACs struct {
	keys [][]byte
	macs []hash.Hash
	buf  []byte
	got  [sha256.Size]byte
	want [sha256.Size]byte
}

var cookieMACPool = sync.Pool{New: func() any { return new(cookieMACs) }}

// cookieGetMAC returns pooled scratch for keys, which must not be empty.
func cookieGetMAC(keys [][]byte) *cookieMACs {
	m := cookieMACPool.Get().(*cookieMACs)
	if len(m.keys) != len(keys) || &m.keys[0] != &keys[0] {
		m.keys = keys
		clear(m.macs)
		m.macs = append(m.macs[:0], make([]hash.Hash, len(keys))...)
	}
	return m
}

// release returns m to the pool, without a buffer grown unusually large.
func (m *cookieMACs) release() {
	if cap(m.buf) > 4*cookieMaxLen {
		m.buf = nil
	}
	cookieMACPool.Put(m)
}

// sum returns HMAC-SHA256 of msg under keys[i], in m.got.
func (m *cookieMACs) sum(i int, msg []byte) []byte {
	h := m.macs[i]
	if h == nil {
		h = hmac.New(sha256.New, m.keys[i])
		m.macs[i] = h
	}
	h.Reset()
	h.Write(msg)
	return h.Sum(m.got[:0])
}
