package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// GitHubConfig configures [GitHub].
type GitHubConfig struct {
	// Secrets are the webhook secrets, as typed in GitHub's settings
	// (their bytes are the HMAC key). A request signed with any of them is
	// accepted: list the old and the new secret while rotating. At least
	// one; an empty one is refused.
	Secrets []string
}

// Validate returns nil, or the [*ConfigError] that [GitHub] would panic
// with: no secret or an empty secret.
func (c GitHubConfig) Validate() error {
	_, err := c.keys()
	return err
}

// keys returns the secrets' bytes.
func (c GitHubConfig) keys() ([][]byte, error) {
	return rawKeys("GitHub", c.Secrets)
}

// rawKeys returns secrets as HMAC keys, refusing none or an empty one.
func rawKeys(scheme string, secrets []string) ([][]byte, error) {
	if len(secrets) == 0 {
		return nil, configError(scheme, "no secret")
	}
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		if s == "" {
			return nil, configError(scheme, fmt.Sprintf("secret %d is empty", i))
		}
		keys[i] = []byte(s)
	}
	return keys, nil
}

// GitHub returns a [Verifier] of GitHub's scheme: the header
// X-Hub-Signature-256, "sha256=" and the hex HMAC-SHA256 of the body
// (either case). GitHub signs no timestamp, so nothing bounds a replay
// but the delivery ID (X-GitHub-Delivery) you store. The older
// X-Hub-Signature (SHA-1) is ignored. It panics with the message of
// [GitHubConfig.Validate] when cfg is refused.
func GitHub(cfg GitHubConfig) *Verifier {
	keys, err := cfg.keys()
	mustValid(err)
	return newVerifier(schemeGitHub, keys, 0, nil)
}

// parseGitHub reads the X-Hub-Signature-256 header of h into s.
func parseGitHub(h http.Header, s *signed) error {
	sig, ok, err := header(h, "X-Hub-Signature-256", "X-Hub-Signature-256")
	if err != nil {
		return err
	}
	if !ok {
		return unsigned("X-Hub-Signature-256")
	}
	value, ok := strings.CutPrefix(sig, "sha256=")
	if !ok || !decodeHex(&s.sigs[0], value) {
		return malformed("X-Hub-Signature-256 is not sha256= and 64 hex digits")
	}
	s.n = 1
	return nil
}

// decodeHex decodes the 64 hex digits of value into sig.
func decodeHex(sig *[sha256.Size]byte, value string) bool {
	if len(value) != hex.EncodedLen(sha256.Size) {
		return false
	}
	var src [64]byte // copied so as not to allocate
	copy(src[:], value)
	_, err := hex.Decode(sig[:], src[:])
	return err == nil
}
