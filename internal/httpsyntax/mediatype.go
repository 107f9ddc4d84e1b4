package httpsyntax

import "strings"

// CutMediaType splits a Content-Type value or an Accept element (RFC 9110
// sections 8.3.1 and 12.5.1) at its first ';' into the media type, trimmed
// of optional whitespace, and the parameters after the ';'. It does not
// check that the media type is type/subtype; params is empty when there is
// no ';'.
func CutMediaType(v string) (mediaType, params string) {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		return TrimOWS(v[:i]), v[i+1:]
	}
	return TrimOWS(v), ""
}

// NextParam cuts the first parameter off params (RFC 9110 section 5.6.6):
// up to the first ';' outside a quoted-string, in which a backslash
// escapes the next byte. It returns the parameter's name and value,
// trimmed of optional whitespace, with the value still quoted (see
// [Unquote]), and what follows the ';'. A parameter without '=' has an
// empty value; a quoted-string left open runs to the end of params.
func NextParam(params string) (name, value, rest string) {
	p := params
	quoted := false
	for i := 0; i < len(params); i++ {
		switch c := params[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			p, rest = params[:i], params[i+1:]
			i = len(params)
		}
	}
	name, value, _ = CutByte(p, '=')
	return TrimOWS(name), TrimOWS(value), rest
}

// Param returns the value of the first parameter in params named name,
// compared as [strings.EqualFold] compares, still quoted, or false when there
// is none. The parameters are split as [NextParam] splits them.
func Param(params, name string) (string, bool) {
	for params != "" {
		var n, v string
		n, v, params = NextParam(params)
		if strings.EqualFold(n, name) {
			return v, true
		}
	}
	return "", false
}

// Unquote returns the parameter value v without its quotes and with its
// quoted-pairs resolved (RFC 9110 section 5.6.4): `"a\"b"` is `a"b`. A
// value that is not one whole quoted-string only loses any quotes at its
// ends. It allocates only to resolve a quoted-pair.
func Unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return strings.Trim(v, `"`)
	}
	v = v[1 : len(v)-1]
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
