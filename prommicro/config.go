package prommicro

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// Config configures the [Metrics] that [New] makes. The zero value is
// ready to use: no namespace, no constant labels, the default buckets.
type Config struct {
	// Namespace, when not "", starts every metric name, followed by an
	// underscore: "shop" makes shop_http_server_requests_total. It must
	// be a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
	Namespace string

	// ConstLabels are added, with their values, to every series: the
	// place for a label that tells two servers' series apart on one
	// registry. Names must be Prometheus label names
	// ([a-zA-Z_][a-zA-Z0-9_]*), not start with "__", and not be one of
	// the labels the metrics vary by (http_request_method, http_route,
	// http_response_status_code); values must be valid UTF-8.
	ConstLabels prometheus.Labels

	// Buckets are the upper bounds, in seconds, of the buckets of
	// http_server_request_duration_seconds, strictly increasing; nil
	// means [DefaultBuckets].
	Buckets []float64

	// SizeBuckets are the upper bounds, in bytes, of the buckets of
	// http_server_request_body_size_bytes and
	// http_server_response_body_size_bytes, strictly increasing; nil
	// means [DefaultSizeBuckets].
	SizeBuckets []float64
}

// DefaultBuckets returns the duration buckets of a [Config] whose Buckets
// is nil, in seconds: those OpenTelemetry's semantic conventions advise
// for http.server.request.duration, 5 ms to 10 s. Each call returns a new
// slice.
func DefaultBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
}

// DefaultSizeBuckets returns the size buckets of a [Config] whose
// SizeBuckets is nil, in bytes: powers of 4 from 64 B to 1 MiB, the
// default body limit of micro's helpers. Each call returns a new slice.
func DefaultSizeBuckets() []float64 {
	return prometheus.ExponentialBuckets(64, 4, 8)
}

// Validate returns an error, whose message starts with "prommicro: ", when
// [New] would refuse c: a Namespace or a constant label name that is not a
// Prometheus name, a constant label that one of the metrics also varies
// by, a constant label value that is not valid UTF-8, or buckets that are
// empty (but not nil), hold a NaN or do not strictly increase. New returns
// the same error.
func (c Config) Validate() error {
	if c.Namespace != "" && !validName(c.Namespace, true) {
		return errors.New("prommicro: Config.Namespace " + strconv.Quote(c.Namespace) + " is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)")
	}
	for name, value := range c.ConstLabels {
		switch {
		case !validName(name, false) || strings.HasPrefix(name, "__"):
			return errors.New("prommicro: Config.ConstLabels: " + strconv.Quote(name) + " is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)")
		case name == labelMethod || name == labelRoute || name == labelStatus:
			return errors.New("prommicro: Config.ConstLabels: " + strconv.Quote(name) + " is a label the metrics vary by")
		case !utf8.ValidString(value):
			return errors.New("prommicro: Config.ConstLabels: the value of " + strconv.Quote(name) + " is not valid UTF-8")
		}
	}
	if err := validBuckets("Buckets", c.Buckets); err != nil {
		return err
	}
	return validBuckets("SizeBuckets", c.SizeBuckets)
}

// validBuckets returns the error of a bucket list that is empty but not
// nil, holds a NaN or does not strictly increase; field names it.
func validBuckets(field string, b []float64) error {
	if b == nil {
		return nil
	}
	if len(b) == 0 {
		return errors.New("prommicro: Config." + field + " is empty; leave it nil for the default buckets")
	}
	for i, v := range b {
		if math.IsNaN(v) {
			return errors.New("prommicro: Config." + field + " holds a NaN")
		}
		if i > 0 && v <= b[i-1] {
			return errors.New("prommicro: Config." + field + " must strictly increase")
		}
	}
	return nil
}

// orDefault returns b, or def() when b is nil.
func orDefault(b []float64, def func() []float64) []float64 {
	if b == nil {
		return def()
	}
	return b
}

// validName reports whether s is a Prometheus metric name (colons
// allowed) or label name (no colons), in the names' classic ASCII syntax,
// which every scraper reads.
func validName(s string, colons bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || colons && c == ':' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return false
		}
	}
	return s != ""
}
