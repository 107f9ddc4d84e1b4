package micro

import "github.com/microkit-go/micro/send"

// WithType sets the problem's "type", a URI reference that names the kind
// of problem (RFC 9457 §3.1.1), in place of "about:blank", and returns e.
// Clients may match on it, so keep one type to one meaning; give it its
// own title with [Error.WithTitle], since the status text is the title
// only of "about:blank". An empty uri puts back "about:blank". The URI is
// sent as it is, unchecked.
//
//	micro.Errorf(403, "balance is 30, the call costs 50").
//		WithType("https://example.com/probs/out-of-credit").WithTitle("Out of credit")
func (e *Error) WithType(uri string) *Error {
	e.typ = uri
	return e
}

// WithTitle sets the problem's "title", a short summary that is the same
// for every occurrence of its type, in place of the status text, and
// returns e. An empty title puts back the status text.
func (e *Error) WithTitle(title string) *Error {
	e.title = title
	return e
}

// WithInstance sets the problem's "instance", a URI reference that names
// this occurrence of the problem (RFC 9457 §3.1.5), and returns e. An empty
// uri leaves the member out. The URI is sent as it is, unchecked.
func (e *Error) WithInstance(uri string) *Error {
	e.instance = uri
	return e
}

// With sets the extension member name of the problem to value, encoded as
// [send.JSON] encodes it, and returns e. Members are written after the
// standard ones in the order they were first set; setting a name again
// replaces its value in place. A value that cannot be encoded (a channel, a
// function, NaN) is found only when the problem is written: [send.Error]
// then answers a 500 with no detail and logs the encoding error.
//
// The value is public, as the message is. RFC 9457 advises names of at
// least three letters, digits and underscores, starting with a letter. A
// name the problem already has (type, title, status, detail, instance) or
// an empty name panics: it is a programming error.
//
//	micro.Errorf(403, "balance is 30, the call costs 50").With("balance", 30)
func (e *Error) With(name string, value any) *Error {
	if name == "" || send.Reserved(name) {
		panic("micro: Error.With: " + `"` + name + `" is no extension member name`)
	}
	for i := range e.members {
		if e.members[i].Name == name {
			e.members[i].Value = value
			return e
		}
	}
	e.members = append(e.members, send.Member{Name: name, Value: value})
	return e
}

// FillProblem returns p with the problem members given to e with
// [Error.WithType], [Error.WithTitle], [Error.WithInstance] and
// [Error.With] set, the others as they are: [send.Error] calls it through
// [send.ProblemFiller].
func (e *Error) FillProblem(p send.Problem) send.Problem {
	if e.typ != "" {
		p.Type = e.typ
	}
	if e.title != "" {
		p.Title = e.title
	}
	if e.instance != "" {
		p.Instance = e.instance
	}
	p.Extensions = e.members
	return p
}
