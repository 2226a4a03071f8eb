package eldergate

import "strings"

// MaskName masks a personal name for screens and logs: the first and last
// characters stay, the rest become '*' ("张三明" -> "张*明", "张三" -> "张*").
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

// MaskID masks an identity or card number, keeping the first six and the
// last four characters ("440303199001011234" -> "440303********1234").
// Short numbers keep only their last four characters.
func MaskID(id string) string {
	r := []rune(strings.TrimSpace(id))
	n := len(r)
	switch {
	case n == 0:
		return ""
	case n <= 4:
		return strings.Repeat("*", n)
	case n <= 10:
		return strings.Repeat("*", n-4) + string(r[n-4:])
	}
	return string(r[:6]) + strings.Repeat("*", n-10) + string(r[n-4:])
}
