package weight

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		num, unit string
		want      int64
		err       error
	}{
		// MT-SICS "S S      100.00 g" (MT-SICS Reference Manual, S command).
		{"100.00", "g", 100, nil},
		{"100.01", "g", 100, nil},
		// A&D standard format "ST,+00123.45  g" (GX-A/GF-A Communication Manual 7-2).
		{"+00123.45", "g", 123, nil},
		{"+001234.5", "g", 1235, nil}, // half away from zero
		{"-001234.5", "g", -1235, nil},
		{"+001234.4", "g", 1234, nil},
		{"-00183.69", "g", -184, nil},
		// indicator "ST,GS,+  1.234kg", "US,NT,-   0.50 kg"
		{"+  1.234", "kg", 1234, nil},
		{"-   0.50", "KG", -500, nil},
		{"0001.234", "kg", 1234, nil},
		{"1.2345", "kg", 1235, nil},  // 1234.5 g
		{"1.23449", "kg", 1234, nil}, // 1234.49 g
		{"0.0005", "kg", 1, nil},     // 0.5 g
		{"-0.0005", "kg", -1, nil},   // -0.5 g
		{"0.00049", "kg", 0, nil},    // 0.49 g
		{"13.5", " kg", 13500, nil},  // CAS manual example "000013.5" kg
		{"000013.5", "kg", 13500, nil},
		{"5", "g", 5, nil},
		{"5.", "g", 5, nil},
		{".5", "g", 1, nil},
		{"-.4", "g", 0, nil},
		{"0", "kg", 0, nil},
		{"-0.000", "kg", 0, nil},
		{"  12  ", "g", 12, nil},
		{"999999999999999999", "g", 999999999999999999, nil},
		// errors
		{"", "g", 0, ErrSyntax},
		{"+", "g", 0, ErrSyntax},
		{"-  ", "g", 0, ErrSyntax},
		{".", "g", 0, ErrSyntax},
		{"1.2.3", "g", 0, ErrSyntax},
		{"1 2", "g", 0, ErrSyntax},
		{"1,5", "g", 0, ErrSyntax},
		{"+-1", "g", 0, ErrSyntax},
		{"1e3", "g", 0, ErrSyntax},
		{"0x10", "g", 0, ErrSyntax},
		{"1234567890123456789", "g", 0, ErrRange},
		{"999999999999999999", "kg", 0, ErrRange},
		{"1.0", "lb", 0, ErrUnsupportedUnit},
		{"1.0", "oz", 0, ErrUnsupportedUnit},
		{"1.0", "pcs", 0, ErrUnsupportedUnit},
		{"1.0", "ct", 0, ErrUnsupportedUnit},
		{"1.0", "t", 0, ErrUnsupportedUnit},
		{"1.0", "", 0, ErrUnsupportedUnit},
		{"1.0", "gg", 0, ErrUnsupportedUnit},
	}
	for _, tt := range tests {
		got, err := Parse(tt.num, tt.unit)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Parse(%q, %q) = %d, %v; want error %v", tt.num, tt.unit, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q, %q) = %d, %v; want %d", tt.num, tt.unit, got, err, tt.want)
		}
	}
}

func TestGrams(t *testing.T) {
	tests := []struct {
		m    int64
		exp  int
		u    Unit
		want int64
		err  bool
	}{
		{1234, -3, Kilogram, 1234, false}, // Toledo X.XXX kg
		{12, 2, Kilogram, 1200000, false}, // Toledo XX00 kg
		{12345, -1, Gram, 1235, false},    // XXX.X g
		{-12345, -1, Gram, -1235, false},
		{123456, -5, Kilogram, 1235, false}, // 1.23456 kg
		{5, -1, Gram, 1, false},
		{4, -1, Gram, 0, false},
		{-5, -1, Gram, -1, false},
		{math.MaxInt64, -19, Gram, 1, false},
		{math.MinInt64, -19, Gram, -1, false},
		{math.MaxInt64, -25, Gram, 0, false},
		{math.MaxInt64, 0, Gram, math.MaxInt64, false},
		{math.MaxInt64, 1, Gram, 0, true},
		{1, 17, Kilogram, 0, true},
		{0, 40, Kilogram, 0, false},
		{1, 0, Unit(9), 0, true},
	}
	for _, tt := range tests {
		got, err := Grams(tt.m, tt.exp, tt.u)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("Grams(%d, %d, %v) = %d, %v; want %d, err=%v", tt.m, tt.exp, tt.u, got, err, tt.want, tt.err)
		}
	}
}

func TestParseUnit(t *testing.T) {
	for _, s := range []string{"g", " g", "  g", "G"} {
		if u, err := ParseUnit(s); err != nil || u != Gram {
			t.Errorf("ParseUnit(%q) = %v, %v", s, u, err)
		}
	}
	for _, s := range []string{"kg", " kg", "KG", "Kg"} {
		if u, err := ParseUnit(s); err != nil || u != Kilogram {
			t.Errorf("ParseUnit(%q) = %v, %v", s, u, err)
		}
	}
	_, err := ParseUnit(" lb")
	if !errors.Is(err, ErrUnsupportedUnit) || !strings.Contains(err.Error(), "lb") {
		t.Errorf("ParseUnit(lb) error = %v", err)
	}
	if Gram.String() != "g" || Kilogram.String() != "kg" || Unit(7).String() != "Unit(7)" {
		t.Error("Unit.String")
	}
}

// exact computes round-half-away-from-zero of the decimal in grams with
// math/big, as an oracle independent of the integer arithmetic.
func exact(num string, u Unit) (int64, bool) {
	t := strings.TrimSpace(num)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = strings.TrimLeft(t[1:], " ")
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return 0, false
	}
	if u == Kilogram {
		r.Mul(r, big.NewRat(1000, 1))
	}
	// floor(|r| + 1/2)
	r.Add(r, big.NewRat(1, 2))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

func FuzzParseGrams(f *testing.F) {
	for _, s := range []string{"100.00", "+001234.5", "-   0.50", "1.2345", ".5", "1.", "", "+", "1e5", "999999999999999999", "-0.0005"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, kg bool) {
		u := Gram
		if kg {
			u = Kilogram
		}
		got, err := ParseGrams(s, u)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrRange) {
				t.Fatalf("ParseGrams(%q) error %v wraps no package error", s, err)
			}
			return
		}
		want, ok := exact(s, u)
		if !ok {
			t.Fatalf("ParseGrams(%q, %v) = %d but the oracle cannot parse it", s, u, got)
		}
		if got != want {
			t.Fatalf("ParseGrams(%q, %v) = %d, want %d", s, u, got, want)
		}
	})
}
