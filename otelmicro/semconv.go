package otelmicro

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/microkit-go/micro/middleware"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// maxStartAttrs is the most attributes startAttrs writes.
const maxStartAttrs = 8

// startAttrs writes to buf the attributes of r known before the handler
// runs, given when the span starts so that a sampler sees them, and
// returns them.
func startAttrs(buf *[maxStartAttrs]attribute.KeyValue, r *http.Request) []attribute.KeyValue {
	a := buf[:0]
	method, original := methodAttrs(r.Method)
	a = append(a, method)
	if original.Valid() {
		a = append(a, original)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	a = append(a, semconv.URLPath(r.URL.Path), semconv.URLScheme(scheme))
	host, port := hostPort(r.Host)
	if host != "" {
		a = append(a, semconv.ServerAddress(host))
		if port > 0 && port != defaultPort(r) {
			a = append(a, semconv.ServerPort(port))
		}
	}
	if v := protocolVersion(r); v != "" {
		a = append(a, semconv.NetworkProtocolVersion(v))
	}
	if ua := r.Header.Get("User-Agent"); ua != "" {
		a = append(a, semconv.UserAgentOriginal(ua))
	}
	return a
}

// methodAttrs returns the http.request.method attribute of method: the
// method itself when it is one of the eight of RFC 9110 or PATCH, else
// "_OTHER" with method in http.request.method_original (the zero
// KeyValue otherwise), so that a client cannot grow the attribute's
// values.
func methodAttrs(method string) (attr, original attribute.KeyValue) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return semconv.HTTPRequestMethodKey.String(method), original
	}
	return semconv.HTTPRequestMethodOther, semconv.HTTPRequestMethodOriginal(method)
}

// spanMethod returns the method part of a span's name: the method when
// methodAttrs knows it, else "HTTP", as the conventions say.
func spanMethod(method string) string {
	if _, original := methodAttrs(method); original.Valid() {
		return "HTTP"
	}
	return method
}

// routePath returns the http.route of route: a ServeMux pattern
// ("[METHOD ][HOST]/PATH") less its method and host, or a router's
// template as [middleware.SetRoute] recorded it. It is "" for
// [middleware.RouteFrom]'s "unmatched", which has no route.
func routePath(route string) string {
	if route == unmatched {
		return ""
	}
	if i := strings.IndexByte(route, '/'); i >= 0 {
		return route[i:]
	}
	return route
}

// unmatched is the route [middleware.RouteFrom] gives a request that
// matched none.
const unmatched = "unmatched"

// spanName returns the span's final name, "METHOD PATH" for a request
// whose route has path PATH, just "METHOD" without one. A ServeMux pattern
// that names the request's method and no host is that name already, so it
// costs no allocation.
func spanName(method, route, path string) string {
	method = spanMethod(method)
	if path == "" {
		return method
	}
	if len(route) == len(method)+1+len(path) && strings.HasPrefix(route, method) && route[len(method)] == ' ' {
		return route
	}
	return method + " " + path
}

// hostPort splits a Host header into its host and its port, -1 when it
// has none or a malformed one. An IPv6 host loses its brackets.
func hostPort(hp string) (host string, port int) {
	i := strings.LastIndexByte(hp, ':')
	if i < 0 || strings.LastIndexByte(hp, ']') > i {
		return strings.TrimSuffix(strings.TrimPrefix(hp, "["), "]"), -1
	}
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return hp, -1
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return h, -1
	}
	return h, int(n)
}

// defaultPort is the port of r's scheme.
func defaultPort(r *http.Request) int {
	if r.TLS != nil {
		return 443
	}
	return 80
}

// protocolVersion returns network.protocol.version: "1.0", "1.1", "2" or
// "3"; "" for another.
func protocolVersion(r *http.Request) string {
	switch {
	case r.ProtoMajor == 1 && r.ProtoMinor == 1:
		return "1.1"
	case r.ProtoMajor == 1 && r.ProtoMinor == 0:
		return "1.0"
	case r.ProtoMajor == 2:
		return "2"
	case r.ProtoMajor == 3:
		return "3"
	}
	return ""
}

// clientAddress returns client.address: the client's address as
// [middleware.ClientIP] found it behind trusted proxies, else the peer's;
// "" when neither is known. The peer's text is reused, so only a client
// behind a proxy costs an allocation.
func clientAddress(r *http.Request) string {
	peer, _ := hostPort(r.RemoteAddr)
	client := middleware.ClientIPFrom(r)
	if !client.IsValid() {
		return ""
	}
	if p, err := netip.ParseAddr(peer); err == nil && p == client {
		return peer
	}
	return client.String()
}
