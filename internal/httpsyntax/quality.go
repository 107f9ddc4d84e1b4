package httpsyntax

// ParseQ parses a quality value of RFC 9110 section 12.4.2, "0" to "1"
// with at most three decimals, into thousandths: "0.5" is 500. It returns
// false for anything else: an empty string, surrounding whitespace, a
// fourth decimal, a sign or a value above 1 ("1.5").
func ParseQ(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' {
		return 0, false
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		q += int(s[i]-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}
