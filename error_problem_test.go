package micro_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
	"github.com/microkit-go/micro/middleware"
)

func TestErrorProblemMembers(t *testing.T) {
	const json = "application/problem+json"
	expectEach(t, []expectCase[micro.Handler]{
		{"type, title and instance replace the defaults", handlerErr(micro.Errorf(403, "balance is 30").
			WithType("https://example.com/probs/out-of-credit").WithTitle("Out of credit").WithInstance("/account/1/msgs/abc")),
			resp{Status: 403, ContentType: json, Body: `{"type":"https://example.com/probs/out-of-credit","title":"Out of credit","status":403,"detail":"balance is 30","instance":"/account/1/msgs/abc"}`}},
		{"empty values put back the defaults", handlerErr(micro.Errorf(403, "no").
			WithType("t").WithType("").WithTitle("T").WithTitle("").WithInstance("i").WithInstance("")),
			problemResp(403, "Forbidden", "no")},
		{"extension members follow, in the order first set", handlerErr(micro.Errorf(403, "no").
			With("balance", 30).With("accounts", []string{"/a/1"}).With("balance", 20)),
			resp{Status: 403, ContentType: json, Body: `{"type":"about:blank","title":"Forbidden","status":403,"detail":"no","balance":20,"accounts":["/a/1"]}`}},
		{"members survive a wrapper", handlerErr(fmt.Errorf("claiming: %w", micro.Errorf(409, "taken").With("field", "name"))),
			resp{Status: 409, ContentType: json, Body: `{"type":"about:blank","title":"Conflict","status":409,"detail":"taken","field":"name"}`}},
		{"a status outside 400-599 sends none of them", handlerErr(micro.Errorf(302, "secret").WithType("t").With("secret", 1)),
			problemResp(500, "Internal Server Error", "")},
	})
}

func TestErrorWithUnencodableValueIsA500(t *testing.T) {
	var log testkit.Log
	h := middleware.ErrorLogger(log.JSONLogger(slog.LevelDebug))(handlerErr(micro.Errorf(422, "no").With("bad", make(chan int))))
	expect(t, h, req{}, problemResp(500, "Internal Server Error", ""))
	lines := log.Lines(t)
	if len(lines) != 1 || lines[0]["error"] != `send: encoding problem member "bad": json: unsupported type: chan int` {
		t.Errorf("log lines %v; want one with the encoding error", lines)
	}
}

func TestErrorWithReservedNamePanics(t *testing.T) {
	for _, name := range []string{"type", "title", "status", "detail", "instance", ""} {
		if v := testkit.Recover(func() { micro.Errorf(400, "x").With(name, 1) }); v == nil {
			t.Errorf("With(%q) did not panic", name)
		}
	}
}

// handlerErr is a route that returns err.
func handlerErr(err error) micro.Handler {
	return func(*http.Request) (any, error) { return nil, err }
}
