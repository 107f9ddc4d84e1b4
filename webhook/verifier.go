package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"
	"net/http"
	"time"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/send"
)

// DefaultTolerance is the tolerance of [Standard] and [Stripe] when their
// config leaves it 0: a timestamp at most 5 minutes before or after the
// server's clock is accepted, as the Standard Webhooks specification and
// Stripe's libraries default to.
const DefaultTolerance = 5 * time.Minute

// MaxHeaderBytes is the longest signature header (and webhook-id or
// webhook-timestamp header) a [Verifier] parses; a longer one is 400.
const MaxHeaderBytes = 4096

// MaxSignatures is the most signatures one signature header may list
// (entries of any version or scheme counted); more is 400. It bounds the
// comparisons a request costs at MaxSignatures per secret.
const MaxSignatures = 16

// scheme is the signature scheme of a [Verifier].
type scheme uint8

const (
	schemeStandard scheme = iota
	schemeGitHub
	schemeStripe
)

// Verifier checks the signature of webhook requests of one scheme against
// one or more secrets. Build it with [Standard], [GitHub] or [Stripe]; it
// is immutable and safe for concurrent use. The zero Verifier has no
// secret and refuses every request: a well-formed Standard Webhooks one
// with a 401, others with the 400 or 401 of their headers or the error
// of their body; a nil one panics.
type Verifier struct {
	scheme    scheme
	keys      [][]byte
	tolerance time.Duration // 0: the scheme signs no timestamp
	now       func() time.Time
}

// signed is what a request's headers say was signed: the bytes signed
// before the body, the timestamp, and the signatures to compare.
type signed struct {
	prefix [4]string // signed in order before the body
	ts     int64     // Unix seconds, for the schemes with a timestamp
	sigs   [MaxSignatures][sha256.Size]byte
	n      int // signatures in sigs
}

// Verify reads r's body with micro.Buffer(r, opts...) and checks its
// signature; nil means the body is authentic, and micro.JSON, micro.Text
// or micro.Buffer on r then return the same bytes without reading again.
// The headers are checked first: a request without its signature header
// is refused without reading the body. The errors are [*micro.Error], as
// the package doc lists them; return them from a micro.Handler route as
// they are.
func (v *Verifier) Verify(r *http.Request, opts ...micro.BodyOption) error {
	var s signed
	if err := v.parse(r.Header, &s); err != nil {
		return err
	}
	body, err := micro.Buffer(r, opts...)
	if err != nil {
		return err
	}
	return v.check(&s, body)
}

// VerifyPayload checks the signature of body with the signature headers
// in h, for a body read otherwise (a queue message, a test); it returns
// the errors of [Verifier.Verify], body errors aside.
func (v *Verifier) VerifyPayload(h http.Header, body []byte) error {
	var s signed
	if err := v.parse(h, &s); err != nil {
		return err
	}
	return v.check(&s, body)
}

// Handler returns middleware in front of next that answers a request
// [Verifier.Verify] refuses with its error as a problem, through
// send.Error, and passes the others to next, whose micro.JSON(r) decodes
// the verified bytes. Use the method value, v.Handler, as a
// func(http.Handler) http.Handler in a chain. A nil next panics.
func (v *Verifier) Handler(next http.Handler) http.Handler {
	if next == nil {
		panic("webhook: Handler given a nil handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.Verify(r); err != nil {
			send.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// parse reads the signature headers of v's scheme into s.
func (v *Verifier) parse(h http.Header, s *signed) error {
	switch v.scheme {
	case schemeStandard:
		return parseStandard(h, s)
	case schemeGitHub:
		return parseGitHub(h, s)
	default:
		return parseStripe(h, s)
	}
}

// check refuses body unless one of s's signatures is the HMAC of s's
// prefix and body under one of v's keys, and, when the scheme signs a
// timestamp, the timestamp is within the tolerance. Every key is tried and
// every signature compared in constant time, whatever matched before.
func (v *Verifier) check(s *signed, body []byte) error {
	match := 0
	var sum [sha256.Size]byte
	for _, key := range v.keys {
		mac := hmac.New(sha256.New, key)
		writeSigned(mac, s, body)
		mac.Sum(sum[:0])
		for i := range s.n {
			match |= subtle.ConstantTimeCompare(sum[:], s.sigs[i][:])
		}
	}
	if match != 1 {
		return micro.Errorf(http.StatusUnauthorized, "Invalid webhook signature: no signature matches")
	}
	if v.tolerance > 0 {
		return v.fresh(s.ts)
	}
	return nil
}

// writeSigned writes the signed content, s's prefix then body, to mac.
func writeSigned(mac hash.Hash, s *signed, body []byte) {
	var buf [64]byte
	for _, p := range s.prefix {
		for len(p) > 0 { // through a stack buffer: a []byte(p) would allocate
			n := copy(buf[:], p)
			mac.Write(buf[:n])
			p = p[n:]
		}
	}
	mac.Write(body)
}

// fresh refuses a timestamp ts further than the tolerance from v's clock.
// A timestamp exactly the tolerance away is accepted.
func (v *Verifier) fresh(ts int64) error {
	age := v.now().Sub(time.Unix(ts, 0))
	switch {
	case age > v.tolerance:
		return micro.Errorf(http.StatusUnauthorized,
			"Webhook timestamp too old: signed %s before the server's time, over the tolerance of %s",
			age.Truncate(time.Second), v.tolerance)
	case age < -v.tolerance:
		return micro.Errorf(http.StatusUnauthorized,
			"Webhook timestamp too new: signed %s after the server's time, over the tolerance of %s",
			(-age).Truncate(time.Second), v.tolerance)
	}
	return nil
}

// header returns the one value of the header name in h, where its
// canonical key is key. A missing header gives ok false; a repeated or
// overlong one, a 400.
func header(h http.Header, key, name string) (value string, ok bool, err error) {
	vs := h[key]
	switch {
	case len(vs) == 0:
		return "", false, nil
	case len(vs) > 1:
		return "", false, malformed("%s header sent more than once", name)
	case len(vs[0]) > MaxHeaderBytes:
		return "", false, malformed("%s header over %d bytes", name, MaxHeaderBytes)
	}
	return vs[0], true, nil
}

// unixSeconds parses a timestamp of 1 to 18 ASCII digits (no sign, no
// space), which fits an int64.
func unixSeconds(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// malformed is the 400 of an unusable signature header.
func malformed(format string, args ...any) *micro.Error {
	return micro.Errorf(http.StatusBadRequest, "Malformed webhook signature: "+format, args...)
}

// unsigned is the 401 of a request without its signature header.
func unsigned(key string) *micro.Error {
	return micro.Errorf(http.StatusUnauthorized, "Missing webhook signature: no %s header", key)
}

// checkTolerance is the check of a Tolerance field, shared by the configs.
func checkTolerance(scheme string, d time.Duration) error {
	if d < 0 {
		return configError(scheme, fmt.Sprintf("Tolerance %s is negative", d))
	}
	return nil
}

// newVerifier builds a [Verifier] from a checked configuration.
func newVerifier(s scheme, keys [][]byte, tolerance time.Duration, now func() time.Time) *Verifier {
	if tolerance == 0 && s != schemeGitHub {
		tolerance = DefaultTolerance
	}
	if now == nil {
		now = time.Now
	}
	return &Verifier{scheme: s, keys: keys, tolerance: tolerance, now: now}
}
