// Package weight converts the decimal weight strings that scales send
// ("+001234.5", "-   0.50", "1.234") and their units ("g", "kg") into
// integer grams, exactly: the digits are parsed as an integer mantissa
// and a power of ten, never through a float.
//
// Rounding rule: when the value has a fraction of a gram (a balance with
// 0.01 g or 0.1 g resolution, or "1.2345 kg"), it is rounded to the
// nearest gram, halves away from zero (commercial rounding, as a person
// reads the display): 1234.5 g -> 1235 g, -0.5 g -> -1 g, 100.49 g ->
// 100 g, 0.0005 kg -> 1 g.
//
// Only grams and kilograms are accepted. Other units that scales can be
// set to (lb, oz, ct, pcs, %, t ...) give an error wrapping
// ErrUnsupportedUnit so that the reading is skipped, never misread.
package weight

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Unit is a unit of mass accepted for readings.
type Unit int

// The accepted units.
const (
	Gram Unit = iota + 1
	Kilogram
)

// String returns the unit symbol.
func (u Unit) String() string {
	switch u {
	case Gram:
		return "g"
	case Kilogram:
		return "kg"
	}
	return fmt.Sprintf("Unit(%d)", int(u))
}

// exp is the power of ten from the unit to grams.
func (u Unit) exp() (int, error) {
	switch u {
	case Gram:
		return 0, nil
	case Kilogram:
		return 3, nil
	}
	return 0, fmt.Errorf("%w: %v", ErrUnsupportedUnit, u)
}

// Errors wrapped by the functions of this package.
var (
	ErrUnsupportedUnit = errors.New("weight: unsupported unit (only g and kg are accepted)")
	ErrSyntax          = errors.New("weight: not a decimal number")
	ErrRange           = errors.New("weight: value out of range")
)

// ParseUnit parses a unit symbol, ignoring case and surrounding spaces:
// "g", "kg" (also "KG", " kg"). Any other text, including units a scale
// may legitimately be set to (lb, oz, ct, pcs ...), is an error wrapping
// ErrUnsupportedUnit.
func ParseUnit(s string) (Unit, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "g":
		return Gram, nil
	case "kg":
		return Kilogram, nil
	case "":
		return 0, fmt.Errorf("%w: no unit", ErrUnsupportedUnit)
	}
	return 0, fmt.Errorf("%w: %q", ErrUnsupportedUnit, s)
}

// MaxDigits is the most digits a decimal string may have.
const MaxDigits = 18

// ParseDecimal parses a decimal number into mantissa and exponent so that
// the value is mantissa × 10^exp. Accepted: surrounding spaces, an
// optional sign '+' or '-' that may be separated from the digits by
// spaces ("-   0.50"), digits with at most one '.', at least one digit,
// at most MaxDigits digits ("1.", ".5" are accepted; spaces inside the
// digits are not).
func ParseDecimal(s string) (mantissa int64, exp int, err error) {
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = strings.TrimLeft(t[1:], " ")
	}
	if t == "" {
		return 0, 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	digits, point := 0, false
	var m int64
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if digits > MaxDigits {
				return 0, 0, fmt.Errorf("%w: %q has more than %d digits", ErrRange, s, MaxDigits)
			}
			m = m*10 + int64(c-'0')
			if point {
				exp--
			}
		case c == '.' && !point:
			point = true
		default:
			return 0, 0, fmt.Errorf("%w: %q", ErrSyntax, s)
		}
	}
	if digits == 0 {
		return 0, 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	if neg {
		m = -m
	}
	return m, exp, nil
}

// Grams converts mantissa × 10^exp units into grams, rounding halves
// away from zero (see the package documentation).
func Grams(mantissa int64, exp int, u Unit) (int64, error) {
	ue, err := u.exp()
	if err != nil {
		return 0, err
	}
	e := exp + ue
	if e >= 0 {
		if e > 18 {
			if mantissa == 0 {
				return 0, nil
			}
			return 0, fmt.Errorf("%w: %d×10^%d %v", ErrRange, mantissa, exp, u)
		}
		p := pow10[e]
		if mantissa > math.MaxInt64/p || mantissa < math.MinInt64/p {
			return 0, fmt.Errorf("%w: %d×10^%d %v", ErrRange, mantissa, exp, u)
		}
		return mantissa * p, nil
	}
	k := -e
	if k > 18 {
		// |mantissa| < 9.3e18 < 10^19/2 only for k == 19 in the worst
		// case; any larger divisor rounds everything to zero, and for
		// k == 19 the half point 5e18 can be reached: check it.
		if k == 19 && (mantissa >= 5e18 || mantissa <= -5e18) {
			if mantissa > 0 {
				return 1, nil
			}
			return -1, nil
		}
		return 0, nil
	}
	p := pow10[k]
	q, r := mantissa/p, mantissa%p
	if r < 0 {
		r = -r
	}
	if r >= p-r { // 2r >= p without overflow
		if mantissa < 0 {
			q--
		} else {
			q++
		}
	}
	return q, nil
}

// ParseGrams parses a decimal string in unit u into grams.
func ParseGrams(s string, u Unit) (int64, error) {
	m, e, err := ParseDecimal(s)
	if err != nil {
		return 0, err
	}
	return Grams(m, e, u)
}

// Parse parses a decimal string and a unit symbol into grams.
func Parse(number, unit string) (int64, error) {
	u, err := ParseUnit(unit)
	if err != nil {
		return 0, err
	}
	return ParseGrams(number, u)
}

var pow10 = [...]int64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
}
