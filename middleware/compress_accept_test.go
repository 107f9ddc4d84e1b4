package middleware

import (
	"slices"
	"strings"
	"testing"
)

func TestCompressAcceptEncoding(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   bool
	}{
		// Refusals first.
		{"no header is no gzip", nil, false},
		{"an empty header accepts identity only", []string{""}, false},
		{"identity only is no gzip", []string{"identity"}, false},
		{"other codings only are no gzip", []string{"deflate, br, zstd"}, false},
		{"gzip;q=0 refuses gzip", []string{"gzip;q=0"}, false},
		{"q with spaces around the semicolon refuses gzip", []string{"gzip ; q=0"}, false},
		{"an upper-case Q refuses gzip", []string{"gzip;Q=0"}, false},
		{"q=0.000 refuses gzip", []string{"gzip;q=0.000"}, false},
		{"an explicit gzip;q=0 beats *", []string{"gzip;q=0, *"}, false},
		{"*;q=0 refuses gzip when gzip is not listed", []string{"*;q=0"}, false},
		{"identity with *;q=0 is no gzip", []string{"identity, *;q=0"}, false},
		{"x-gzip;q=0 refuses gzip", []string{"X-GZIP;q=0"}, false},
		{"a prefix of gzip is not gzip", []string{"gz"}, false},
		{"gzip with a suffix is not gzip", []string{"gzipx, gzip2"}, false},
		{"a weight above 1 is malformed and ignored", []string{"gzip;q=1.001"}, false},
		{"a weight of 2 is malformed and ignored", []string{"gzip;q=2"}, false},
		{"four decimals are malformed and ignored", []string{"gzip;q=0.0001"}, false},
		{"an empty weight is malformed and ignored", []string{"gzip;q="}, false},
		{"a non-numeric weight is malformed and ignored", []string{"gzip;q=abc"}, false},
		{"a malformed gzip weight leaves * to decide", []string{"gzip;q=x, *;q=0"}, false},

		// Acceptance.
		{"gzip is accepted", []string{"gzip"}, true},
		{"tokens are case-insensitive", []string{"GZIP"}, true},
		{"the browser list is accepted", []string{"gzip, deflate, br, zstd"}, true},
		{"gzip with a weight is accepted", []string{"br;q=1.0, gzip;q=0.8"}, true},
		{"the smallest weight still accepts", []string{"gzip;q=0.001"}, true},
		{"q=1.000 accepts", []string{"gzip;q=1.000"}, true},
		{"q=1. accepts", []string{"gzip;q=1."}, true},
		{"* covers gzip", []string{"*"}, true},
		{"* covers gzip whatever else is refused", []string{"br;q=0, *"}, true},
		{"an explicit gzip beats *;q=0", []string{"*;q=0, gzip"}, true},
		{"x-gzip is gzip", []string{"x-gzip"}, true},
		{"the highest weight of gzip and x-gzip wins", []string{"gzip;q=0, x-gzip"}, true},
		{"gzip on a second header line counts", []string{"br", "gzip"}, true},
		{"tabs and spaces around elements are allowed", []string{" \tgzip\t , br"}, true},
		{"empty elements are skipped", []string{",, ,gzip"}, true},
		{"parameters other than q are skipped", []string{"gzip;level=9"}, true},
		{"the first weight counts", []string{"gzip;q=1;q=0"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compressAcceptsGzip(tt.values); got != tt.want {
				t.Errorf("compressAcceptsGzip(%q) = %v, want %v", tt.values, got, tt.want)
			}
		})
	}
}

func TestCompressAcceptEncodingIsBounded(t *testing.T) {
	many := make([]string, 10000)
	many[len(many)-1] = "gzip"
	tests := []struct {
		name   string
		values []string
		want   bool
	}{
		{"gzip after 100 KB of junk is ignored", []string{strings.Repeat("a,", 50000) + "gzip"}, false},
		{"gzip on a line after 100 KB is ignored", []string{strings.Repeat("a", 100000), "gzip"}, false},
		{"gzip after 10000 empty lines is ignored", many, false},
		{"an element cut by the cap is ignored, not read as gzip;q=1",
			[]string{strings.Repeat(" ", compressMaxAccept-len("gzip")) + "gzip;q=0"}, false},
		{"gzip before 100 KB of junk is read", []string{"gzip," + strings.Repeat("a", 100000)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compressAcceptsGzip(tt.values); got != tt.want {
				t.Errorf("compressAcceptsGzip = %v, want %v", got, tt.want)
			}
			if n := testing.AllocsPerRun(10, func() { compressAcceptsGzip(tt.values) }); n != 0 {
				t.Errorf("compressAcceptsGzip allocates %v times, want 0", n)
			}
		})
	}
}

func TestCompressTypesMatch(t *testing.T) {
	def := compressNewTypes(compressDefaultTypes, true)
	custom := compressNewTypes([]string{"Text/*", "application/vnd.custom"}, false)
	tests := []struct {
		name  string
		types *compressTypes
		ct    string
		want  bool
	}{
		{"an empty type is not compressible", &def, "", false},
		{"a type that is too long is not compressible", &def, "text/" + strings.Repeat("a", compressMaxType), false},
		{"an image is not compressible", &def, "image/png", false},
		{"a subtype prefix is not a match", &def, "text/htmlx", false},
		{"json is not text/* for a custom list", &custom, "application/json", false},
		{"the suffix rule is for the default list only", &custom, "application/problem+json", false},
		{"a listed type matches", &def, "text/html", true},
		{"matching ignores case and parameters", &def, "Text/HTML ; Charset=UTF-8", true},
		{"+json types match the default list", &def, "application/vnd.api+json", true},
		{"+xml types match the default list", &def, "application/rss+xml", true},
		{"type/* matches the whole type", &custom, "text/x-anything", true},
		{"an exact custom entry matches", &custom, "APPLICATION/vnd.custom", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.types.match(tt.ct); got != tt.want {
				t.Errorf("match(%q) = %v, want %v", tt.ct, got, tt.want)
			}
		})
	}
	if n := testing.AllocsPerRun(10, func() { def.match("Application/JSON; charset=utf-8") }); n != 0 {
		t.Errorf("match allocates %v times, want 0", n)
	}
}

// TestCompressVaryAfterKeepsItsExtensionIntact: the Vary Compress extends
// first (CORS's "Origin" in a chain) is extended once and shared by later
// responses, without an allocation; code that appends to a shared value
// copies it, so no response changes another's; other Vary values are
// extended on their own.
func TestCompressVaryAfterKeepsItsExtensionIntact(t *testing.T) {
	c := &compressor{}
	origin := []string{"Origin"}
	first := c.varyAfter(origin)
	if !slices.Equal(first, []string{"Origin", "Accept-Encoding"}) || cap(first) != len(first) {
		t.Fatalf("varyAfter(Origin) = %q, cap %d", first, cap(first))
	}
	sameValues := []string{"Origin"} // another slice with the same values, as the next response's
	if n := testing.AllocsPerRun(10, func() { c.varyAfter(sameValues) }); n != 0 {
		t.Errorf("extending the same Vary again allocates %v times, want 0", n)
	}
	// An outer middleware appends to the shared value of one response.
	_ = append(c.varyAfter(origin), "Cookie")
	if again := c.varyAfter(origin); !slices.Equal(again, []string{"Origin", "Accept-Encoding"}) {
		t.Errorf("the shared extension became %q", again)
	}
	if other := c.varyAfter([]string{"Cookie", "Origin"}); !slices.Equal(other, []string{"Cookie", "Origin", "Accept-Encoding"}) || cap(other) != len(other) {
		t.Errorf("varyAfter(Cookie, Origin) = %q, cap %d", other, cap(other))
	}
	if again := c.varyAfter(origin); !slices.Equal(again, []string{"Origin", "Accept-Encoding"}) {
		t.Errorf("another Vary replaced the kept one: %q", again)
	}
	long := []string{"A", "B", "C", "D", "E"}
	if got := c.varyAfter(long); !slices.Equal(got, append(slices.Clone(long), "Accept-Encoding")) {
		t.Errorf("varyAfter(%q) = %q", long, got)
	}
}
