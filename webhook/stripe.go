package webhook

import (
	"net/http"
	"strings"
	"time"
)

// StripeConfig configures [Stripe].
type StripeConfig struct {
	// Secrets are the endpoint's signing secrets, "whsec_..." as the
	// Stripe dashboard or CLI shows them: the whole string, prefix
	// included, is the HMAC key. A request signed with any of them is
	// accepted (Stripe signs with each active secret while one is rolled).
	// At least one; an empty one is refused.
	Secrets []string

	// Tolerance is how far the t= timestamp may be from Now, before or
	// after; 0 means [DefaultTolerance] (Stripe's 300 s). Negative is
	// refused.
	Tolerance time.Duration

	// Now is the clock timestamps are checked against; nil means
	// time.Now.
	Now func() time.Time
}

// Validate returns nil, or the [*ConfigError] that [Stripe] would panic
// with: no secret, an empty secret, a negative Tolerance.
func (c StripeConfig) Validate() error {
	_, err := c.keys()
	return err
}

// keys returns the secrets' bytes.
func (c StripeConfig) keys() ([][]byte, error) {
	keys, err := rawKeys("Stripe", c.Secrets)
	if err != nil {
		return nil, err
	}
	return keys, checkTolerance("Stripe", c.Tolerance)
}

// Stripe returns a [Verifier] of Stripe's scheme: the header
// Stripe-Signature, "t=<Unix seconds>,v1=<hex>", with any number of v1
// signatures (one per active secret), of "t.body". Other schemes (v0, a
// test-mode signature) and unknown items are skipped; a v1 value that is
// not 64 hex digits matches nothing. Unlike Stripe's libraries it also
// refuses a timestamp more than the tolerance ahead of Now. It panics
// with the message of [StripeConfig.Validate] when cfg is refused.
func Stripe(cfg StripeConfig) *Verifier {
	keys, err := cfg.keys()
	mustValid(err)
	return newVerifier(schemeStripe, keys, cfg.Tolerance, cfg.Now)
}

// parseStripe reads the Stripe-Signature header of h into s.
func parseStripe(h http.Header, s *signed) error {
	sig, ok, err := header(h, "Stripe-Signature", "Stripe-Signature")
	if err != nil {
		return err
	}
	if !ok {
		return unsigned("Stripe-Signature")
	}
	ts, items := "", 0
	for item := range strings.SplitSeq(sig, ",") {
		if items++; items > MaxSignatures {
			return malformed("Stripe-Signature lists over %d items", MaxSignatures)
		}
		key, value, _ := strings.Cut(item, "=")
		switch key {
		case "t":
			if ts != "" {
				return malformed("Stripe-Signature has more than one t=")
			}
			if s.ts, ok = unixSeconds(value); !ok {
				return malformed("Stripe-Signature's t= is not Unix seconds")
			}
			ts = value
		case "v1":
			if decodeHex(&s.sigs[s.n], value) {
				s.n++
			}
		}
	}
	if ts == "" {
		return malformed("Stripe-Signature has no t= timestamp")
	}
	s.prefix = [4]string{ts, "."}
	return nil
}
