package servers

import (
	"fmt"
	"net/http"
)

// Baseline is the name of the hand-written server the others are
// compared with.
const Baseline = "nethttp"

// Names returns the servers' names, the baseline first.
func Names() []string {
	return []string{Baseline, "micro", "micro-default", "micro-default-jsonhandler", "chi", "gin", "gorilla"}
}

// New returns a new server by name, with its own store; an error for a
// name [Names] does not list.
func New(name string) (http.Handler, error) {
	switch name {
	case Baseline:
		return NetHTTP(), nil
	case "micro":
		return Micro(), nil
	case "micro-default":
		return MicroDefault(), nil
	case "micro-default-jsonhandler":
		return MicroDefaultJSONHandler(), nil
	case "chi":
		return Chi(), nil
	case "gin":
		return Gin(), nil
	case "gorilla":
		return Gorilla(), nil
	}
	return nil, fmt.Errorf("servers: no server %q (want one of %v)", name, Names())
}
