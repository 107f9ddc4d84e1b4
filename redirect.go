package micro

import (
	"fmt"
	"net/http"
)

// Redirect returns the [*Response] that redirects the client to url, for a
// route to return (Next.js's redirect):
//
//	return micro.Redirect("/login", 0), nil
//
// Status 0 means 307 Temporary Redirect, which keeps the method and body,
// as Next.js's redirect does; 301, 302, 303, 307 and 308 are accepted. Any
// other status panics: it is a programming error (inside a [Handler], the
// panic becomes a logged 500).
//
// The Location header is url as given: relative or absolute, neither
// cleaned nor resolved against the request's URL, so a url built from
// client input (a ?next= parameter, say) is an open redirect unless the
// route checks it first. net/http writes a CR or LF in a header value as a
// space, so url cannot split the response, but it is not refused either.
// The response has no body, for GET and HEAD alike.
func Redirect(url string, status int) *Response {
	switch status {
	case 0:
		status = http.StatusTemporaryRedirect
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		panic(fmt.Sprintf("micro: Redirect status %d is not 0, 301, 302, 303, 307 or 308", status))
	}
	return &Response{Status: status, Header: http.Header{"Location": {url}}}
}
