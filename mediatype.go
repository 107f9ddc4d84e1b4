package micro

import (
	"net/http"
	"strings"
)

// checkJSONType accepts no Content-Type, application/json and any +json
// type, with a UTF-8 charset or none. Anything else is a 415 [*Error].
func checkJSONType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	if !isJSONType(mt) {
		return Errorf(http.StatusUnsupportedMediaType,
			"Unsupported Content-Type %.100q: expected application/json or a +json type", ct)
	}
	if cs, ok := charset(ct); ok && !isUTF8(cs) {
		return Errorf(http.StatusUnsupportedMediaType,
			"Unsupported charset %.64q: JSON must be utf-8", cs)
	}
	return nil
}

// isJSONType reports whether the media type mt (no parameters) is
// application/json or type/name+json, case-insensitively.
func isJSONType(mt string) bool {
	if strings.EqualFold(mt, "application/json") {
		return true
	}
	typ, sub, ok := strings.Cut(mt, "/")
	return ok && typ != "" && !strings.ContainsAny(sub, "/ \t") &&
		len(sub) > len("+json") && strings.EqualFold(sub[len(sub)-len("+json"):], "+json")
}

// charset returns the charset parameter of the Content-Type ct, unquoted.
// Parameters are split at each ';' outside a quoted string (RFC 9110
// section 5.6.4), so a quoted value holding ";charset=" is not read as one.
func charset(ct string) (string, bool) {
	_, params, ok := strings.Cut(ct, ";")
	for ok {
		var p string
		p, params, ok = cutParam(params)
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "charset") {
			return unquote(strings.TrimSpace(v)), true
		}
	}
	return "", false
}

// cutParam cuts params at the first ';' outside a quoted string, in which
// a backslash escapes the next byte.
func cutParam(params string) (before, after string, found bool) {
	quoted := false
	for i := 0; i < len(params); i++ {
		switch c := params[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			return params[:i], params[i+1:], true
		}
	}
	return params, "", false
}

// unquote returns the parameter value v without its quotes and with its
// backslash escapes resolved. A value that is not a whole quoted string
// only loses any quotes at its ends.
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return strings.Trim(v, `"`)
	}
	v = v[1 : len(v)-1]
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func isUTF8(cs string) bool { return strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "utf8") }
