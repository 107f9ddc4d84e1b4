package middleware

// parsePort parses a decimal port: 1 to 5 ASCII digits with a value of at
// most 65535. Anything else, a sign or a space included, is not one.
func parsePort(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n <= 65535
}
