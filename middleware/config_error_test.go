package middleware_test

import (
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/microkit-go/micro/middleware"
)

// configCase is one configuration of one middleware: check is its
// Validate, build its panicking constructor.
type configCase struct {
	name  string
	mw    string // the constructor, as ConfigError.Middleware names it
	check func() error
	build func()
	want  string // in the message; "" for a valid configuration
}

// configCases lists a valid and the invalid configurations of every
// configurable middleware.
func configCases() []configCase {
	logger := slog.New(slog.DiscardHandler)
	key := []byte(strings.Repeat("k", 32))
	cors := func(o ...string) middleware.CORSConfig { return middleware.CORSConfig{AllowedOrigins: o} }
	corsCase := func(name, want string, c middleware.CORSConfig) configCase {
		return configCase{name, "CORS", c.Validate, func() { middleware.CORS(c) }, want}
	}
	crossCase := func(name, want string, o ...string) configCase {
		return configCase{name, "CrossOrigin", func() error { return middleware.ValidateCrossOrigin(o...) },
			func() { middleware.CrossOrigin(o...) }, want}
	}
	defaultCase := func(name, mw, want string, c middleware.DefaultConfig) configCase {
		return configCase{name, mw, c.Validate, func() { middleware.Default(c) }, want}
	}
	compressCase := func(name, want string, c middleware.CompressConfig) configCase {
		return configCase{name, "Compress", c.Validate, func() { middleware.Compress(c) }, want}
	}
	cookiesCase := func(name, want string, c middleware.CookiesConfig) configCase {
		return configCase{name, "Cookies", c.Validate, func() { middleware.Cookies(c) }, want}
	}
	timeoutCase := func(name, want string, d time.Duration) configCase {
		return configCase{name, "Timeout", func() error { return middleware.ValidateTimeout(d) },
			func() { middleware.Timeout(d) }, want}
	}
	bodyLimitCase := func(name, want string, n int64) configCase {
		return configCase{name, "BodyLimit", func() error { return middleware.ValidateBodyLimit(n) },
			func() { middleware.BodyLimit(n) }, want}
	}
	contentTypeCase := func(name, want string, types ...string) configCase {
		return configCase{name, "ContentType", func() error { return middleware.ValidateContentType(types...) },
			func() { middleware.ContentType(types...) }, want}
	}
	clientIPCase := func(name, want string, p ...netip.Prefix) configCase {
		return configCase{name, "ClientIP", func() error { return middleware.ValidateClientIP(p...) },
			func() { middleware.ClientIP(p...) }, want}
	}
	return []configCase{
		corsCase("CORS: valid", "", cors("https://app.example.com", "https://*.example.org")),
		corsCase("CORS: no origins", "AllowedOrigins is empty", middleware.CORSConfig{}),
		corsCase("CORS: null", `"null" is unsafe`, cors("null")),
		corsCase("CORS: pattern over github.io", `public suffix "github.io"`, cors("https://*.github.io")),
		corsCase("CORS: max age", "MaxAge 1ms", middleware.CORSConfig{AllowedOrigins: []string{"*"}, MaxAge: time.Millisecond}),

		crossCase("CrossOrigin: valid", "", "https://app.example.com", "https://*.example.com"),
		crossCase("CrossOrigin: none is valid", ""),
		crossCase("CrossOrigin: star", `"*" that is not the whole first label`, "*"),
		crossCase("CrossOrigin: null", "is unsafe", "null"),
		crossCase("CrossOrigin: path", "must not have a path", "https://app.example.com/api"),
		crossCase("CrossOrigin: pattern over co.uk", `public suffix "co.uk"`, "https://*.co.uk"),

		defaultCase("Default: valid", "", "", middleware.DefaultConfig{Logger: logger, CORS: &middleware.CORSConfig{AllowedOrigins: []string{"https://app.example.com"}}}),
		defaultCase("Default: CORS * with CrossOrigin", "Default", `CORS allows any origin ("*")`, middleware.DefaultConfig{Logger: logger, CORS: &middleware.CORSConfig{AllowedOrigins: []string{"*"}}}),
		defaultCase("Default: CORS * without CrossOrigin", "", "", middleware.DefaultConfig{Logger: logger, CORS: &middleware.CORSConfig{AllowedOrigins: []string{"*"}}, DisableCrossOrigin: true}),
		defaultCase("Default: no logger", "Logger", "needs a non-nil *slog.Logger", middleware.DefaultConfig{}),
		defaultCase("Default: bad proxy", "ClientIP", "trusted prefix 0", middleware.DefaultConfig{Logger: logger, TrustedProxies: []netip.Prefix{{}}}),
		defaultCase("Default: bad CORS", "CORS", "AllowedOrigins is empty", middleware.DefaultConfig{Logger: logger, CORS: &middleware.CORSConfig{}}),
		defaultCase("Default: negative body limit", "BodyLimit", "at least 1 byte", middleware.DefaultConfig{Logger: logger, BodyLimit: -1}),
		defaultCase("Default: bad compress level", "Compress", "Level 10", middleware.DefaultConfig{Logger: logger, Compress: middleware.CompressConfig{Level: 10}}),

		compressCase("Compress: valid", "", middleware.CompressConfig{Level: 9, Types: []string{"text/*"}}),
		compressCase("Compress: level", "Level 42 is not a gzip level", middleware.CompressConfig{Level: 42}),
		compressCase("Compress: min size", "MinSize -1 is negative", middleware.CompressConfig{MinSize: -1}),
		compressCase("Compress: type", `type "*/*"`, middleware.CompressConfig{Types: []string{"*/*"}}),

		cookiesCase("Cookies: valid", "", middleware.CookiesConfig{Keys: [][]byte{key}}),
		cookiesCase("Cookies: short key", "key 1 is 31 bytes", middleware.CookiesConfig{Keys: [][]byte{key, key[:31]}}),

		timeoutCase("Timeout: valid", "", time.Second),
		timeoutCase("Timeout: zero", "positive duration, got 0s", 0),

		bodyLimitCase("BodyLimit: valid", "", 1),
		bodyLimitCase("BodyLimit: zero", "at least 1 byte", 0),

		contentTypeCase("ContentType: valid", "", "application/json", "text/*"),
		contentTypeCase("ContentType: none", "at least one media type"),
		contentTypeCase("ContentType: parameters", "not a media type without parameters", "text/plain; charset=utf-8"),

		clientIPCase("ClientIP: valid", "", netip.MustParsePrefix("10.0.0.0/8")),
		clientIPCase("ClientIP: zero prefix", "trusted prefix 1 (invalid Prefix) is invalid", netip.MustParsePrefix("10.0.0.0/8"), netip.Prefix{}),

		{"Logger: valid", "Logger", func() error { return middleware.ValidateLogger(logger) }, func() { middleware.Logger(logger) }, ""},
		{"Logger: nil", "Logger", func() error { return middleware.ValidateLogger(nil) }, func() { middleware.Logger(nil) }, "non-nil *slog.Logger"},
		{"AccessLog: valid", "AccessLog", func() error { return middleware.ValidateAccessLog(&strings.Builder{}) }, func() { middleware.AccessLog(&strings.Builder{}) }, ""},
		{"AccessLog: nil", "AccessLog", func() error { return middleware.ValidateAccessLog(nil) }, func() { middleware.AccessLog(nil) }, "non-nil io.Writer"},
	}
}

// TestValidateReturnsWhatTheConstructorPanicsWith: every configuration a
// constructor refuses, its Validate refuses with a *ConfigError naming the
// constructor, whose message is the one the constructor panics with; a
// configuration it accepts, Validate accepts.
func TestValidateReturnsWhatTheConstructorPanicsWith(t *testing.T) {
	for _, tc := range configCases() {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check()
			panicked := panicMessage(tc.build)
			if tc.want == "" {
				if err != nil || panicked != "" {
					t.Fatalf("valid configuration: Validate = %v, constructor panicked with %q", err, panicked)
				}
				return
			}
			var ce *middleware.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v (%T), want a *middleware.ConfigError", err, err)
			}
			if ce.Middleware != tc.mw || !strings.HasPrefix(ce.Error(), "middleware: "+tc.mw) || !strings.Contains(ce.Error(), tc.want) {
				t.Errorf("Validate = %q from %q, want one from %q starting %q containing %q", ce, ce.Middleware, tc.mw, "middleware: "+tc.mw, tc.want)
			}
			if panicked != err.Error() {
				t.Errorf("constructor panicked with %q, want Validate's message %q", panicked, err)
			}
		})
	}
}
