package webhook

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// StandardConfig configures [Standard].
type StandardConfig struct {
	// Secrets are the signing secrets, each "whsec_" followed by the key
	// in standard base64 (the prefix may be left out). A request signed
	// with any of them is accepted: list the old and the new secret while
	// rotating. At least one; an empty one or one that is not base64 is
	// refused. The specification asks for keys of 24 to 64 bytes; a
	// shorter one is accepted, as the reference libraries accept it.
	Secrets []string

	// Tolerance is how far the webhook-timestamp may be from Now, before
	// or after; 0 means [DefaultTolerance]. Negative is refused.
	Tolerance time.Duration

	// Now is the clock timestamps are checked against; nil means
	// time.Now.
	Now func() time.Time
}

// Validate returns nil, or the [*ConfigError] that [Standard] would panic
// with: no secret, an empty secret, a secret that is not base64 after
// "whsec_", a negative Tolerance.
func (c StandardConfig) Validate() error {
	_, err := c.keys()
	return err
}

// keys decodes the secrets.
func (c StandardConfig) keys() ([][]byte, error) {
	if len(c.Secrets) == 0 {
		return nil, configError("Standard", "no secret")
	}
	keys := make([][]byte, len(c.Secrets))
	for i, s := range c.Secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		switch {
		case err != nil:
			// The error names an offset, never the secret's bytes.
			return nil, configError("Standard", fmt.Sprintf("secret %d is not whsec_ and standard base64: %v", i, err))
		case len(key) == 0:
			return nil, configError("Standard", fmt.Sprintf("secret %d is empty", i))
		}
		keys[i] = key
	}
	return keys, checkTolerance("Standard", c.Tolerance)
}

// Standard returns a [Verifier] of the Standard Webhooks scheme
// (standardwebhooks.com): the headers webhook-id, webhook-timestamp (Unix
// seconds) and webhook-signature, a space-separated list of
// "v1,<base64 HMAC-SHA256>" signatures of "id.timestamp.body". Entries of
// another version (v1a and later) are skipped, and a v1 entry that is not
// the base64 of 32 bytes matches nothing. It panics with the message of
// [StandardConfig.Validate] when cfg is refused.
func Standard(cfg StandardConfig) *Verifier {
	keys, err := cfg.keys()
	mustValid(err)
	return newVerifier(schemeStandard, keys, cfg.Tolerance, cfg.Now)
}

// parseStandard reads the Standard Webhooks headers of h into s.
func parseStandard(h http.Header, s *signed) error {
	sig, ok, err := header(h, "Webhook-Signature", "webhook-signature")
	if err != nil {
		return err
	}
	if !ok {
		return unsigned("webhook-signature")
	}
	id, ok, err := header(h, "Webhook-Id", "webhook-id")
	switch {
	case err != nil:
		return err
	case !ok || id == "":
		return malformed("no webhook-id header")
	}
	ts, ok, err := header(h, "Webhook-Timestamp", "webhook-timestamp")
	switch {
	case err != nil:
		return err
	case !ok:
		return malformed("no webhook-timestamp header")
	}
	if s.ts, ok = unixSeconds(ts); !ok {
		return malformed("webhook-timestamp is not Unix seconds")
	}
	s.prefix = [4]string{id, ".", ts, "."}
	entries := 0
	for entry := range strings.SplitSeq(sig, " ") {
		if entry == "" {
			continue
		}
		if entries++; entries > MaxSignatures {
			return malformed("webhook-signature lists over %d signatures", MaxSignatures)
		}
		version, value, _ := strings.Cut(entry, ",")
		if version != "v1" || len(value) != base64.StdEncoding.EncodedLen(sha256.Size) {
			continue
		}
		var src [44]byte // the 44 characters of 32 bytes, copied so as not to allocate
		var dst [33]byte // DecodedLen(44)
		copy(src[:], value)
		if n, err := base64.StdEncoding.Strict().Decode(dst[:], src[:]); err == nil && n == sha256.Size {
			s.sigs[s.n] = [sha256.Size]byte(dst[:sha256.Size])
			s.n++
		}
	}
	return nil
}
