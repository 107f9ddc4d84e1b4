package middleware

import (
	"strconv"
	"time"
	"unsafe"
)

// The header fields of draft-ietf-httpapi-ratelimit-headers-10, in the
// canonical form net/http keys them by.
const (
	rateLimitPolicyHeader = "Ratelimit-Policy"
	rateLimitHeader       = "Ratelimit"
)

// rateLimitPolicyValue returns the RateLimit-Policy field value of the
// limit: the policy's name as a structured-field string, its quota q and
// its window w in seconds.
func rateLimitPolicyValue(name string, limit int64, window time.Duration) string {
	return `"` + name + `";q=` + strconv.FormatInt(limit, 10) +
		";w=" + strconv.FormatInt(int64(window/time.Second), 10)
}

// rateLimitLine is one RateLimit field value and the slice that holds it
// in a header, built in one allocation.
type rateLimitLine struct {
	values [1]string
	text   [128]byte // a quoted name of 66 bytes and two int64s fit
}

// rateLimitValue returns the RateLimit field value for d as a header's
// value slice: the policy's name (quoted), r the remaining cost and t the
// seconds until the key is back to its full burst, rounded up.
func rateLimitValue(quotedName string, d RateLimitDecision) []string {
	l := new(rateLimitLine)
	b := append(l.text[:0], quotedName...)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, d.Remaining, 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, rateLimitSeconds(d.Reset), 10)
	l.values[0] = unsafe.String(&l.text[0], len(b))
	return l.values[:1:1]
}

// rateLimitSeconds returns d in whole seconds, rounded up.
func rateLimitSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// rateLimitRetryAfter returns the Retry-After value for a wait of d: whole
// seconds, rounded up, at least 1.
func rateLimitRetryAfter(d time.Duration) string {
	return strconv.FormatInt(max(1, rateLimitSeconds(d)), 10)
}
