package webhook

// ConfigError is a configuration a [Verifier] constructor refuses.
//
// Each constructor checks its configuration with the Validate method of its
// config type ([StandardConfig.Validate], [GitHubConfig.Validate],
// [StripeConfig.Validate]), which returns a *ConfigError, and panics with
// the same message; validate first to print the message and exit when the
// secrets come from flags or the environment. The message never contains
// a secret.
type ConfigError struct {
	// Scheme names the constructor that refuses the configuration:
	// "Standard", "GitHub" or "Stripe".
	Scheme string

	msg string
}

// Error returns the message the constructor panics with, which starts with
// "webhook: " and the constructor's name.
func (e *ConfigError) Error() string { return e.msg }

// configError returns the *ConfigError of scheme with message msg.
func configError(scheme, msg string) *ConfigError {
	return &ConfigError{Scheme: scheme, msg: "webhook: " + scheme + ": " + msg}
}

// mustValid panics with err's message when err is not nil.
func mustValid(err error) {
	if err != nil {
		panic(err.Error())
	}
}
