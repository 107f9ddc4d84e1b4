package middleware

import (
	"mime"
	"net/http"
	"strings"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/httpsyntax"
	"github.com/microkit-go/micro/send"
)

// ContentType returns middleware that refuses, with a 415 problem,
// requests that carry a body whose media type is not one of types.
//
// A request carries a body when its Content-Length is above zero or
// unknown (chunked), whatever its method. The media type is the
// Content-Type up to its parameters, compared without regard to case or
// surrounding spaces, so "Application/JSON; charset=utf-8" matches
// "application/json" (gorilla's ContentTypeHandler compares
// case-sensitively). A body without a Content-Type is refused too. An
// entry "text/*" allows any subtype. The refusal's detail names what came
// (cut to 64 bytes) and what is accepted.
//
// An empty types list or an entry that is not a media type panics at
// construction, with the message of the error [ValidateContentType]
// returns.
func ContentType(types ...string) func(http.Handler) http.Handler {
	allowed, err := contentTypeCompile(types)
	mustValid(err)
	expected := strings.Join(allowed, ", ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength == 0 || contentTypeAllowed(r.Header.Get("Content-Type"), allowed) {
				next.ServeHTTP(w, r)
				return
			}
			got := r.Header.Get("Content-Type")
			if got == "" {
				send.Error(w, r, micro.Errorf(http.StatusUnsupportedMediaType,
					"A request body needs a Content-Type; expected %s", expected))
				return
			}
			send.Error(w, r, micro.Errorf(http.StatusUnsupportedMediaType,
				"Unsupported Content-Type %s; expected %s", quoteType(got), expected))
		})
	}
}

// contentTypeAllowed reports whether the media type of ct is in allowed,
// which holds lower-case types, "type/*" entries included.
func contentTypeAllowed(ct string, allowed []string) bool {
	ct, _ = httpsyntax.CutMediaType(ct)
	slash := strings.IndexByte(ct, '/')
	if slash <= 0 || slash == len(ct)-1 {
		return false
	}
	for _, a := range allowed {
		if strings.EqualFold(ct, a) {
			return true
		}
		if strings.HasSuffix(a, "/*") && len(a)-1 == slash+1 && strings.EqualFold(ct[:slash+1], a[:slash+1]) {
			return true
		}
	}
	return false
}

// quoteType quotes a client-sent value for a message, cut to 64 bytes.
func quoteType(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}

// ValidateContentType reports whether [ContentType] accepts types: nil, or
// a [*ConfigError] for an empty list or an entry that is not a media type
// without parameters.
func ValidateContentType(types ...string) error {
	_, err := contentTypeCompile(types)
	return err
}

// contentTypeCompile checks types and returns their media types, or the
// [*ConfigError] that says what is wrong.
func contentTypeCompile(types []string) ([]string, error) {
	if len(types) == 0 {
		return nil, configError("ContentType", "middleware: ContentType needs at least one media type")
	}
	allowed := make([]string, len(types))
	for i, t := range types {
		mt, params, err := mime.ParseMediaType(t)
		slash := strings.IndexByte(mt, '/')
		if err != nil || len(params) != 0 || mt == "*/*" || slash <= 0 || slash == len(mt)-1 {
			return nil, configError("ContentType", "middleware: ContentType: "+quoteType(t)+" is not a media type without parameters")
		}
		allowed[i] = mt
	}
	return allowed, nil
}
