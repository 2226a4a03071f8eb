package eldergate

import (
	"fmt"
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (1/100 yuan). Money is never a float.
type Fen int64

// String formats the amount in yuan with two decimals, e.g. 1260 -> "12.60".
func (f Fen) String() string {
	sign := ""
	v := int64(f)
	if v < 0 {
		sign = "-"
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// ParseYuan parses a decimal yuan amount such as "12", "12.5" or "12.60"
// into fen. More than two decimals is an error, never a rounding.
func ParseYuan(s string) (Fen, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("eldergate: empty amount")
	}
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (frac == "" || len(frac) > 2)) {
		return 0, fmt.Errorf("eldergate: invalid yuan amount %q", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseUint(whole, 10, 40)
	if err != nil {
		return 0, fmt.Errorf("eldergate: invalid yuan amount %q", s)
	}
	fr, err := strconv.ParseUint(frac, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("eldergate: invalid yuan amount %q", s)
	}
	v := Fen(w*100 + fr)
	if neg {
		v = -v
	}
	return v, nil
}
