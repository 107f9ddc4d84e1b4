package micro

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// DefaultMaxFields is the most fields [Form] accepts when [MaxFields] is
// not given: 1000, ten times fewer than net/http's ParseForm (10,000,
// GODEBUG urlmaxqueryparams), which is more than any HTML form sends and
// bounds the map a body within the limit can make.
const DefaultMaxFields = 1000

// MaxFields sets the most fields [Form] accepts, in place of
// [DefaultMaxFields]: a body with more is 413. A field is one non-empty
// element between '&'s, "a=1&a=2" being two. n below 1 panics: it is a
// programming error (inside a [Handler], the panic becomes a logged 500).
// [JSON], [Text] and [Buffer] ignore it.
func MaxFields(n int) BodyOption {
	if n < 1 {
		panic("micro: MaxFields must be at least 1")
	}
	return func(o *bodyOptions) { o.maxFields = n }
}

// Form reads an application/x-www-form-urlencoded request body, what an
// HTML form posts (Next.js's request.formData() for such a body), with the
// read-once rule, limit and content codings of [JSON]: later calls to
// Form, [Text] or [Buffer] on r see the same bytes, and r.Body replays
// them. The URL's query is not merged in: read it with r.URL.Query(). r.Form
// and r.PostForm are left as they are.
//
// Errors are all [*Error], so a route can return them as they are:
//
//   - 415: a Content-Type other than application/x-www-form-urlencoded, a
//     missing one included (a browser always sends it, and a body without
//     it may be anything), a charset other than UTF-8, or a Content-Encoding
//     [JSON] refuses;
//   - 413: a body over the limit, as for [JSON]; "Form has more than N
//     fields" for more fields than [MaxFields] (or [DefaultMaxFields]),
//     refused before any is decoded;
//   - 400 "Invalid form": a bad %-escape or a ';' separator (as
//     url.ParseQuery refuses them, but without its bound of 10,000 '&'s:
//     [MaxFields] is the bound), or a name or value that is not valid UTF-8
//     once unescaped; 400 "Invalid body" or 408 as for [JSON].
//
// A request without a body gives empty, non-nil values.
func Form(r *http.Request, opts ...BodyOption) (url.Values, error) {
	if err := checkFormType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	b, err := readBody(r, opts)
	if err != nil {
		return nil, err
	}
	max := DefaultMaxFields
	if len(opts) > 0 {
		if o := newBodyOptions(opts); o.maxFields > 0 {
			max = o.maxFields
		}
	}
	return parseForm(string(b), max)
}

// parseForm decodes body, a form of at most max fields, as url.ParseQuery
// would, but without its own bound on the '&'s (GODEBUG
// urlmaxqueryparams), which would refuse with a 400 what max allows.
func parseForm(body string, max int) (url.Values, error) {
	n := 0
	for field := range strings.SplitSeq(body, "&") {
		if field != "" {
			n++
		}
		if n > max {
			return nil, Errorf(http.StatusRequestEntityTooLarge, "Form has more than %d fields", max)
		}
	}
	v := url.Values{}
	for field := range strings.SplitSeq(body, "&") {
		if field == "" {
			continue
		}
		if strings.Contains(field, ";") {
			return nil, Errorf(http.StatusBadRequest, "Invalid form: invalid semicolon separator in query")
		}
		name, value, _ := strings.Cut(field, "=")
		name, err := url.QueryUnescape(name)
		if err == nil {
			value, err = url.QueryUnescape(value)
		}
		if err != nil {
			return nil, Errorf(http.StatusBadRequest, "Invalid form: %.200s", err).Wrap(err)
		}
		if !utf8.ValidString(name) {
			return nil, Errorf(http.StatusBadRequest, "Invalid form: a field name is not valid UTF-8")
		}
		if !utf8.ValidString(value) {
			return nil, Errorf(http.StatusBadRequest, "Invalid form: field %.64q is not valid UTF-8", name)
		}
		v[name] = append(v[name], value)
	}
	return v, nil
}

// checkFormType accepts application/x-www-form-urlencoded with a UTF-8
// charset or none. Anything else, no Content-Type included, is a 415
// [*Error].
func checkFormType(ct string) error {
	return checkType(ct, isFormType, formType, "a form")
}

const formType = "application/x-www-form-urlencoded"

func isFormType(mt string) bool { return strings.EqualFold(mt, formType) }
