package micro

import (
	"net/http"
	"strings"

	"github.com/microkit-go/micro/internal/httpsyntax"
)

// checkJSONType accepts no Content-Type, application/json and any +json
// type, with a UTF-8 charset or none. Anything else is a 415 [*Error].
func checkJSONType(ct string) error {
	if ct == "" {
		return nil
	}
	return checkType(ct, isJSONType, "application/json or a +json type", "JSON")
}

// checkType accepts a Content-Type ct whose media type is one isType
// accepts, with a UTF-8 charset or none; anything else is a 415 [*Error]
// naming what is expected, and what must be UTF-8.
func checkType(ct string, isType func(mt string) bool, expected, what string) error {
	mt, _ := httpsyntax.CutMediaType(ct)
	if !isType(mt) {
		return Errorf(http.StatusUnsupportedMediaType,
			"Unsupported Content-Type %.100q: expected %s", ct, expected)
	}
	if cs, ok := charset(ct); ok && !isUTF8(cs) {
		return Errorf(http.StatusUnsupportedMediaType,
			"Unsupported charset %.64q: %s must be utf-8", cs, what)
	}
	return nil
}

// isJSONType reports whether the media type mt (no parameters) is
// application/json or type/name+json, case-insensitively.
func isJSONType(mt string) bool {
	if strings.EqualFold(mt, "application/json") {
		return true
	}
	typ, sub, ok := httpsyntax.CutByte(mt, '/')
	return ok && typ != "" && !strings.ContainsAny(sub, "/ \t") &&
		len(sub) > len("+json") && strings.EqualFold(sub[len(sub)-len("+json"):], "+json")
}

// charset returns the charset parameter of the Content-Type ct, unquoted.
// Parameters are split at each ';' outside a quoted string, so a quoted
// value holding ";charset=" is not read as one.
func charset(ct string) (string, bool) {
	_, params := httpsyntax.CutMediaType(ct)
	v, ok := httpsyntax.Param(params, "charset")
	if !ok {
		return "", false
	}
	return httpsyntax.Unquote(v), true
}

func isUTF8(cs string) bool { return strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "utf8") }
