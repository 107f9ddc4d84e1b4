package middleware

import (
	"io"
	"net/http"

	"github.com/gorilla/handlers"
	"github.com/microkit-go/micro/internal/state"
)

// AccessLog returns middleware that writes one Apache Combined Log Format
// line to out for each request, for tools that parse those (GoAccess,
// AWStats, fail2ban). It is gorilla/handlers' CombinedLoggingHandler, with
// one fix: bytes sent through io.Copy or ReadFrom (http.ServeContent,
// http.FileServer) are counted, which gorilla's own wrapper misses; the
// price is that such copies go through Write instead of sendfile.
//
// Writes to out are not synchronised by AccessLog: give it a writer that
// is safe for concurrent use (an *os.File is). Like gorilla's handler, it
// logs nothing for a request whose handler panics, so put [Recover] after
// AccessLog. For structured logs use [Logger]. A nil out panics at
// construction, with the message of the error [ValidateAccessLog]
// returns.
func AccessLog(out io.Writer) func(http.Handler) http.Handler {
	mustValid(ValidateAccessLog(out))
	return func(next http.Handler) http.Handler {
		counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&state.Writer{ResponseWriter: w, CopyThroughWrite: true}, r)
		})
		return handlers.CombinedLoggingHandler(out, counted)
	}
}

// ValidateAccessLog reports whether [AccessLog] accepts out: nil, or a
// [*ConfigError] when out is nil.
func ValidateAccessLog(out io.Writer) error {
	if out == nil {
		return configError("AccessLog", "middleware: AccessLog needs a non-nil io.Writer")
	}
	return nil
}
