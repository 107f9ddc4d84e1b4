package middleware

// ConfigError is a middleware configuration its constructor refuses.
//
// Each configurable middleware checks its configuration in one place: a
// Validate method on its config type ([CORSConfig.Validate],
// [CompressConfig.Validate], [CookiesConfig.Validate],
// [DefaultConfig.Validate]) or a Validate function beside a constructor
// that takes plain parameters ([ValidateTimeout], [ValidateBodyLimit],
// [ValidateCrossOrigin], [ValidateContentType], [ValidateClientIP],
// [ValidateLogger], [ValidateAccessLog]). That check returns a
// *ConfigError, and the constructor panics with the same message, so a
// server configured from flags or the environment can validate first,
// print the message and exit, and a program with a fixed configuration can
// let the constructor panic. Test for it with errors.As.
type ConfigError struct {
	// Middleware names the constructor that refuses the configuration, as
	// "CORS" or "Timeout".
	Middleware string

	msg string
}

// Error returns the message the constructor panics with, which starts with
// "middleware: " and the constructor's name.
func (e *ConfigError) Error() string { return e.msg }

// configError returns the *ConfigError of middleware mw with message msg.
func configError(mw, msg string) *ConfigError {
	return &ConfigError{Middleware: mw, msg: msg}
}

// mustValid panics with err's message when err is not nil: the
// constructors' half of the check their Validate makes.
func mustValid(err error) {
	if err != nil {
		panic(err.Error())
	}
}
