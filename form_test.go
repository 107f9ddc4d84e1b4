package micro_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/microkit-go/micro"
	"github.com/microkit-go/micro/internal/testkit"
)

const formType = "application/x-www-form-urlencoded"

func TestFormDecodes(t *testing.T) {
	for _, tc := range []struct {
		name, body, ctype string
		want              url.Values
	}{
		{"fields and repeated names", "a=1&b=x+y&a=%C3%A9", formType, url.Values{"a": {"1", "é"}, "b": {"x y"}}},
		{"utf-8 charset and case are accepted", "a=1", "Application/X-WWW-Form-Urlencoded; charset=UTF-8", url.Values{"a": {"1"}}},
		{"empty body is no fields", "", formType, url.Values{}},
		{"empty elements are skipped", "&&a=1&&", formType, url.Values{"a": {"1"}}},
		{"field without = has an empty value", "a", formType, url.Values{"a": {""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := micro.Form(post(tc.body, tc.ctype))
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tc.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormErrors(t *testing.T) {
	many := strings.Repeat("a=1&", 1000) + "b=2"
	for _, tc := range []struct {
		name, body, ctype string
		opts              []micro.BodyOption
		want              outcome
	}{
		{"missing Content-Type is 415", "a=1", "", nil,
			outcome{415, `Unsupported Content-Type "": expected application/x-www-form-urlencoded`}},
		{"JSON Content-Type is 415", `{"a":1}`, "application/json", nil,
			outcome{415, `Unsupported Content-Type "application/json": expected application/x-www-form-urlencoded`}},
		{"multipart Content-Type is 415", "x", "multipart/form-data; boundary=x", nil,
			outcome{415, `Unsupported Content-Type "multipart/form-data; boundary=x": expected application/x-www-form-urlencoded`}},
		{"latin-1 charset is 415", "a=1", formType + "; charset=iso-8859-1", nil,
			outcome{415, `Unsupported charset "iso-8859-1": a form must be utf-8`}},
		{"bad escape is 400", "a=%zz", formType, nil,
			outcome{400, `Invalid form: invalid URL escape "%zz"`}},
		{"semicolon separator is 400", "a=1;b=2", formType, nil,
			outcome{400, `Invalid form: invalid semicolon separator in query`}},
		{"invalid UTF-8 value is 400", "a=%FF", formType, nil,
			outcome{400, `Invalid form: field "a" is not valid UTF-8`}},
		{"invalid UTF-8 name is 400", "%FF=1", formType, nil,
			outcome{400, `Invalid form: a field name is not valid UTF-8`}},
		{"one field over the default is 413", many, formType, nil,
			outcome{413, "Form has more than 1000 fields"}},
		{"one field over MaxFields is 413", "a=1&b=2&c=3", formType, []micro.BodyOption{micro.MaxFields(2)},
			outcome{413, "Form has more than 2 fields"}},
		{"body one byte over Limit is 413", "a=12", formType, []micro.BodyOption{micro.Limit(3)},
			outcome{413, "Body exceeded 3 byte limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := micro.Form(post(tc.body, tc.ctype), tc.opts...)
			status, detail := errorOf(t, err)
			if diff := gocmp.Diff(tc.want, outcome{status, detail}); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if v != nil {
				t.Errorf("values = %v, want nil with an error", v)
			}
		})
	}
}

func TestFormFieldsAtMaxFieldsAreAccepted(t *testing.T) {
	v, err := micro.Form(post("a=1&b=2", formType), micro.MaxFields(2))
	if err != nil || len(v) != 2 {
		t.Fatalf("Form = %v, %v; want 2 fields", v, err)
	}
}

// TestFormFieldCountIsMaxFields: the fields counted are Form's own, not
// url.ParseQuery's (which counts every '&' and refuses more than 10,000
// whatever MaxFields says): empty elements are no fields, and MaxFields
// above 10,000 is honored.
func TestFormFieldCountIsMaxFields(t *testing.T) {
	v, err := micro.Form(post(strings.Repeat("&", 10_001)+"a=1", formType))
	if err != nil || v.Get("a") != "1" {
		t.Errorf("one field among 10,001 empty elements: Form = %v, %v; want a=1", v, err)
	}
	body := strings.Repeat("a=1&", 14_999) + "a=1"
	v, err = micro.Form(post(body, formType), micro.MaxFields(15_000))
	if err != nil || len(v["a"]) != 15_000 {
		t.Errorf("15,000 fields at MaxFields(15000): %d values, %v; want 15,000", len(v["a"]), err)
	}
}

func TestMaxFieldsBelowOnePanics(t *testing.T) {
	if p := testkit.Recover(func() { micro.MaxFields(0) }); p == nil {
		t.Fatal("MaxFields(0) did not panic")
	}
}

func TestFormIsReadOnce(t *testing.T) {
	r := post("a=1&b=2", formType)
	if _, err := micro.Form(r); err != nil {
		t.Fatal(err)
	}
	b, err := micro.Buffer(r)
	if err != nil || string(b) != "a=1&b=2" {
		t.Fatalf("Buffer after Form = %q, %v; want the same bytes", b, err)
	}
	again, err := micro.Form(r)
	if err != nil || again.Get("b") != "2" {
		t.Fatalf("Form again = %v, %v", again, err)
	}
}

func TestFormDoesNotMergeTheQuery(t *testing.T) {
	r := httptest.NewRequest("POST", "/?q=1&a=query", strings.NewReader("a=body"))
	r.Header.Set("Content-Type", formType)
	v, err := micro.Form(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(url.Values{"a": {"body"}}, v); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

func TestFormInflatesGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("a=1"))
	zw.Close()
	r := post(buf.String(), formType)
	r.Header.Set("Content-Encoding", "gzip")
	v, err := micro.Form(r)
	if err != nil || v.Get("a") != "1" {
		t.Fatalf("Form = %v, %v; want a=1", v, err)
	}
}

func TestFormOverTCP(t *testing.T) {
	h := micro.Handler(func(r *http.Request) (any, error) { return micro.Form(r) })
	expect(t, h, req{method: "POST", body: "a=1", ctype: formType},
		resp{Status: 200, ContentType: "application/json; charset=utf-8", Body: `{"a":["1"]}`})
	expect(t, h, req{method: "POST", body: "a=%zz", ctype: formType},
		problemResp(400, "Bad Request", `Invalid form: invalid URL escape \"%zz\"`))
}

// BenchmarkForm reads a form of five fields: micro.Form, and net/http's
// r.ParseForm reading r.PostForm.
func BenchmarkForm(b *testing.B) {
	const body = "name=Ada+Lovelace&email=ada%40example.com&comment=Hello%2C+world&agree=on&n=42"
	b.Run("impl=micro", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := post(body, formType)
			v, err := micro.Form(r)
			if err != nil || len(v) != 5 {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("impl=nethttp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := post(body, formType)
			if err := r.ParseForm(); err != nil || len(r.PostForm) != 5 {
				b.Fatal(r.PostForm, err)
			}
		}
	})
}
