package prommicro

import (
	"net/http"
	"strconv"
)

// The labels the metrics vary by, named as OpenTelemetry's semantic
// conventions name the attributes (http.request.method, http.route,
// http.response.status_code) and its Prometheus exporter writes them, so
// dashboards read the same series from either.
const (
	labelMethod = "http_request_method"
	labelRoute  = "http_route"
	labelStatus = "http_response_status_code"
)

// otherMethod is the method label of a request whose method is not one of
// the nine [foldMethod] keeps, as OpenTelemetry names it.
const otherMethod = "_OTHER"

// methods is how many values the method label has: the nine methods
// [foldMethod] keeps, and [otherMethod].
const methods = 10

// foldMethod returns the method label of method m, and its index from 0
// to methods-1: m itself for the eight methods of RFC 9110 and PATCH,
// [otherMethod] for anything else, so that a client sending made-up
// methods adds no series. Methods are case-sensitive (RFC 9110 §9.1):
// "get" is _OTHER.
func foldMethod(m string) (label string, i int) {
	known := [methods - 1]string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace}
	for i, k := range known {
		if m == k {
			return k, i
		}
	}
	return otherMethod, methods - 1
}

// statusCodes holds the decimal text of the status codes net/http lets a
// handler send, 100 to 999, made once so that a request's label costs no
// allocation.
type statusCodes [900]string

// newStatusCodes returns the text of every code from 100 to 999.
func newStatusCodes() *statusCodes {
	var c statusCodes
	for i := range c {
		c[i] = strconv.Itoa(100 + i)
	}
	return &c
}

// label returns the decimal text of status; one outside 100 to 999, which
// net/http never sends, is formatted anew.
func (c *statusCodes) label(status int) string {
	if status >= 100 && status <= 999 {
		return c[status-100]
	}
	return strconv.Itoa(status)
}
