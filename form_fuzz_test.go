package micro_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
)

// FuzzForm reads arbitrary bodies with a small MaxFields and checks Form
// against url.ParseQuery, the reference: it accepts exactly the bodies the
// reference decodes whose names and values are valid UTF-8 and whose
// non-empty fields are at most MaxFields, with the same values; any other
// body is a 413 (too many fields) or a 400.
func FuzzForm(f *testing.F) {
	for _, s := range []string{"", "a=1&b=2&a=3", "a+b=c%20d", "&&a", "=x", "a=%zz", "a=1;b=2", "a=%ff", "%ff=1", "a=1&a", strings.Repeat("x&", 9)} {
		f.Add(s)
	}
	const max = 8
	f.Fuzz(func(t *testing.T, body string) {
		got, err := micro.Form(post(body, "application/x-www-form-urlencoded"), micro.MaxFields(max))
		fields := 0
		for field := range strings.SplitSeq(body, "&") {
			if field != "" {
				fields++
			}
		}
		want, refErr := url.ParseQuery(body)
		valid := refErr == nil
		for name, values := range want {
			valid = valid && utf8.ValidString(name)
			for _, v := range values {
				valid = valid && utf8.ValidString(v)
			}
		}
		switch status := fuzzStatus(err); {
		case fields > max:
			if status != 413 {
				t.Fatalf("%d fields over %d: status %d (%v), want 413", fields, max, status, err)
			}
		case !valid:
			if status != 400 {
				t.Fatalf("ParseQuery: %v (or invalid UTF-8); Form: status %d (%v), want 400", refErr, status, err)
			}
		case err != nil:
			t.Fatalf("Form refused %q, which the reference decodes: %v", body, err)
		default:
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Fatalf("Form(%q) (-reference +Form):\n%s", body, diff)
			}
		}
	})
}
