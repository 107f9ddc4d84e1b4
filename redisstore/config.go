package redisstore

import (
	"errors"
	"strings"
)

// DefaultPrefix is the prefix of the keys of a [Config] whose Prefix is "".
const DefaultPrefix = "ratelimit:"

// Config configures a [Store].
type Config struct {
	// Prefix starts every key the store writes: the key of a limit key k
	// is Prefix+k. "" means [DefaultPrefix]. It must not hold '{': a hash
	// tag there would put every key in one slot of a Redis Cluster.
	Prefix string
}

// Validate returns an error, whose message starts with "redisstore: ",
// when c cannot configure a store: a Prefix holding '{'. [New] returns the
// same error.
func (c Config) Validate() error {
	if strings.Contains(c.Prefix, "{") {
		return errors.New("redisstore: Config.Prefix must not hold '{' (a hash tag would put every key in one cluster slot)")
	}
	return nil
}
