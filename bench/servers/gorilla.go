package servers

import (
	"io"
	"net/http"

	"github.com/gorilla/handlers"
)

// Gorilla returns the mux of [NetHTTP] behind gorilla/handlers, outermost
// first: LoggingHandler (to io.Discard), CORS for any origin,
// RecoveryHandler and CompressHandler.
func Gorilla() http.Handler {
	var h http.Handler = netHTTPMux(NewStore())
	h = handlers.CompressHandler(h)
	h = handlers.RecoveryHandler()(h)
	h = handlers.CORS(handlers.AllowedOrigins([]string{"*"}))(h)
	return handlers.LoggingHandler(io.Discard, h)
}
