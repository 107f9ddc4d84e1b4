package middleware

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fuzzQValue is an RFC 9110 qvalue (section 12.4.2).
var fuzzQValue = regexp.MustCompile(`^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$`)

// fuzzAcceptBudget applies a byte budget to header lines as the doc
// comments of compressAcceptsGzip and send's acceptsEventStream say:
// every line costs its length plus one, a line is cut at the budget and
// its last (possibly truncated) element dropped, and lines past the
// budget are not read. It returns the elements read.
func fuzzAcceptBudget(lines []string, budget int) []string {
	var elems []string
	for _, l := range lines {
		if budget <= 0 {
			break
		}
		cut := len(l) > budget
		if cut {
			l = l[:budget]
		}
		budget -= len(l) + 1
		parts := strings.Split(l, ",")
		if cut {
			parts = parts[:len(parts)-1]
		}
		elems = append(elems, parts...)
	}
	return elems
}

// fuzzGzipReference decides gzip by RFC 9110 section 12.5.3 as the doc
// comment narrows it: the highest weight of gzip or x-gzip when either is
// listed, else that of "*"; a weight is the first q= parameter, 1 when
// there is none; an element with an empty coding or a malformed weight
// is ignored; only the first 512 bytes are read.
func fuzzGzipReference(lines []string) bool {
	gzipQ, anyQ := -1.0, -1.0
	for _, e := range fuzzAcceptBudget(lines, compressMaxAccept) {
		params := strings.Split(e, ";")
		name := strings.Trim(params[0], " \t")
		if name == "" {
			continue
		}
		q, ok := 1.0, true
		for _, p := range params[1:] {
			p = strings.Trim(p, " \t")
			if len(p) >= 2 && strings.EqualFold(p[:2], "q=") {
				ok = fuzzQValue.MatchString(p[2:])
				q, _ = strconv.ParseFloat(p[2:], 64)
				break
			}
		}
		switch {
		case !ok:
		case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
			gzipQ = max(gzipQ, q)
		case name == "*":
			anyQ = max(anyQ, q)
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

// FuzzCompressAcceptsGzip checks compressAcceptsGzip against
// fuzzGzipReference on fuzzed Accept-Encoding lines (split at '\n', the
// last repeated rep times to pass the 512-byte cap).
func FuzzCompressAcceptsGzip(f *testing.F) {
	for _, s := range []struct {
		header string
		rep    uint8
	}{
		{"gzip, deflate, br, zstd", 0},
		{"gzip;q=0", 0},
		{"gzip;q=0.001", 0},
		{"GZIP;Q=1.000", 0},
		{"x-gzip;q=0.5, gzip;q=0", 0},
		{"*;q=0.1", 0},
		{"gzip;q=1.001, *", 0},
		{"gzip;q=, *;q=0", 0},
		{"gzip ; level=9 ; q=0", 0},
		{"gzip;q = 0", 0},
		{"br;q=1\ngzip;q=0.5", 0},
		{"identity, ", 60},
		{"br, ", 130},
		{"\ngzip", 0},
		{"gzıp", 0},
		{strings.Repeat("\n", 520) + "gzip", 0}, // every line costs one byte more than its length
	} {
		f.Add(s.header, s.rep)
	}
	f.Fuzz(func(t *testing.T, header string, rep uint8) {
		lines := strings.Split(header, "\n")
		last := lines[len(lines)-1]
		for range rep {
			lines = append(lines, last)
		}
		if got, want := compressAcceptsGzip(lines), fuzzGzipReference(lines); got != want {
			t.Fatalf("compressAcceptsGzip(%q) = %v, reference %v", lines, got, want)
		}
	})
}
