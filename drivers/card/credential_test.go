package card

import (
	"errors"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
)

// The known conversions below were computed by hand and checked with an
// independent calculator: 0x04A1B2C3 = 77705923, 0xC3B2A104 = 3283263748,
// 0x04A1B2C3 >> 16 = 1185 (0x04A1), & 0xFFFF = 45763 (0xB2C3),
// 0xA1 = 161.

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		raw  string
		want string
	}{
		{"hex be", Format{}, "04A1B2C3", "04A1B2C3"},
		{"hex lower case", Format{Input: InputHex}, " 04a1b2c3\r\n", "04A1B2C3"},
		{"hex with spaces", Format{}, "04 A1 B2 C3", "04A1B2C3"},
		{"hex with colons", Format{}, "04:a1:b2:c3", "04A1B2C3"},
		{"hex le reversed", Format{Order: LittleEndian}, "C3B2A104", "04A1B2C3"},
		{"hex 7 bytes", Format{}, "04112233445566", "04112233445566"},
		{"hex 7 bytes le", Format{Order: LittleEndian}, "66554433221104", "04112233445566"},
		{"hex 5 bytes EM4100", Format{}, "62E3086CED", "62E3086CED"},
		{"hex 3 bytes wiegand 26", Format{}, "a1b2c3", "A1B2C3"},
		{"dec10 be", Format{Input: InputDec10}, "0077705923", "04A1B2C3"},
		{"dec10 be unpadded", Format{Input: InputDec10}, "77705923", "04A1B2C3"},
		{"dec10 le", Format{Input: InputDec10, Order: LittleEndian}, "3283263748", "04A1B2C3"},
		{"dec10 zero", Format{Input: InputDec10}, "0000000000", "00000000"},
		{"dec10 max", Format{Input: InputDec10}, "4294967295", "FFFFFFFF"},
		{"wiegand 34 be", Format{Input: InputWiegand}, "01185,45763", "04A1B2C3"},
		{"wiegand 34 le", Format{Input: InputWiegand, Order: LittleEndian}, "1185,45763", "C3B2A104"},
		{"wiegand 26 be", Format{Input: InputWiegand, WiegandBits: 26}, "161,45763", "A1B2C3"},
		{"wiegand 26 spaces", Format{Input: InputWiegand, WiegandBits: 26}, " 161 , 45763 ", "A1B2C3"},
		{"wiegand 26 le", Format{Input: InputWiegand, WiegandBits: 26, Order: LittleEndian}, "161,45763", "C3B2A1"},
		// GB 11643-1999 example number (its appendix) and a lower-case x.
		{"id", Format{Input: InputID}, "11010519491231002X", "11010519491231002X"},
		{"id lower x", Format{Input: InputID}, "11010519491231002x", "11010519491231002X"},
		{"id digit check", Format{Input: InputID}, "440524188001010014", "440524188001010014"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f.Normalize(tt.raw)
			if err != nil {
				t.Fatalf("Normalize(%q) error: %v", tt.raw, err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		raw  string
	}{
		{"empty", Format{}, ""},
		{"hex odd length", Format{}, "04A1B2C"},
		{"hex 9 digits", Format{}, "04A1B2C3D"},
		{"hex 6 bytes", Format{}, "04A1B2C3D4E5"},
		{"hex non hex", Format{}, "04A1B2CG"},
		{"hex too long", Format{}, strings.Repeat("A", 22)},
		{"dec10 letters", Format{Input: InputDec10}, "00777O5923"},
		{"dec10 11 digits", Format{Input: InputDec10}, "00077705923"},
		{"dec10 above 32 bits", Format{Input: InputDec10}, "4294967296"},
		{"dec10 negative", Format{Input: InputDec10}, "-77705923"},
		{"dec10 empty", Format{Input: InputDec10}, "  "},
		{"wiegand no comma", Format{Input: InputWiegand}, "16145763"},
		{"wiegand card too big", Format{Input: InputWiegand}, "161,65536"},
		{"wiegand 26 facility too big", Format{Input: InputWiegand, WiegandBits: 26}, "256,1"},
		{"wiegand 34 facility too big", Format{Input: InputWiegand}, "65536,1"},
		{"wiegand letters", Format{Input: InputWiegand}, "1a1,45763"},
		{"wiegand empty part", Format{Input: InputWiegand}, ",45763"},
		{"id wrong check", Format{Input: InputID}, "110105194912310021"},
		{"id 17 chars", Format{Input: InputID}, "11010519491231002"},
		{"id letter inside", Format{Input: InputID}, "1101051949123100AX"},
		{"id bad date", Format{Input: InputID}, "110105194913310021"},
		{"bad order", Format{Order: "middle"}, "04A1B2C3"},
		{"bad input", Format{Input: "octal"}, "04A1B2C3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f.Normalize(tt.raw)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want an error", tt.raw, got)
			}
			if !strings.HasPrefix(err.Error(), "card: ") {
				t.Fatalf("error %q has no package prefix", err)
			}
		})
	}
}

// The ID rule itself is tested in the root package (residentid_test.go);
// here only that a reader's errors wrap both sentinels and hide the number.
func TestIDErrorsDoNotLeakTheNumber(t *testing.T) {
	_, err := Format{Input: InputID}.Normalize("110105194912310021")
	if !errors.Is(err, ErrCredential) || !errors.Is(err, eldergate.ErrResidentID) {
		t.Fatalf("err = %v, want ErrCredential and eldergate.ErrResidentID", err)
	}
	if strings.Contains(err.Error(), "11010519491231") {
		t.Fatalf("error %q contains the ID number", err)
	}
}

func TestFromUID(t *testing.T) {
	uid := []byte{0x04, 0xA1, 0xB2, 0xC3}
	if got := FromUID(uid, BigEndian); got != "04A1B2C3" {
		t.Fatalf("FromUID be = %q", got)
	}
	if got := FromUID(uid, LittleEndian); got != "C3B2A104" {
		t.Fatalf("FromUID le = %q", got)
	}
	if uid[0] != 0x04 {
		t.Fatal("FromUID modified its argument")
	}
	if got := FromUID([]byte{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, ""); got != "04112233445566" {
		t.Fatalf("FromUID 7 bytes = %q", got)
	}
	b, err := UID("04a1b2c3")
	if err != nil || len(b) != 4 || b[1] != 0xA1 {
		t.Fatalf("UID = %x, %v", b, err)
	}
}

func TestPrinting(t *testing.T) {
	tests := []struct {
		name string
		fn   func() (string, error)
		want string
	}{
		{"dec10 be", func() (string, error) { return Dec10("04A1B2C3", BigEndian) }, "0077705923"},
		{"dec10 le", func() (string, error) { return Dec10("04A1B2C3", LittleEndian) }, "3283263748"},
		{"dec10 lower-case input", func() (string, error) { return Dec10("04a1b2c3", BigEndian) }, "0077705923"},
		{"wiegand 34 be", func() (string, error) { return Wiegand("04A1B2C3", BigEndian, 34) }, "01185,45763"},
		{"wiegand 26 be drops UID0", func() (string, error) { return Wiegand("04A1B2C3", BigEndian, 26) }, "161,45763"},
		{"wiegand 26 le drops UID3", func() (string, error) { return Wiegand("04A1B2C3", LittleEndian, 26) }, "178,41220"},
		{"wiegand 26 of 3 bytes", func() (string, error) { return Wiegand("A1B2C3", BigEndian, 26) }, "161,45763"},
	}
	for _, tt := range tests {
		got, err := tt.fn()
		if err != nil || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	for name, fn := range map[string]func() (string, error){
		"dec10 of 7 bytes":     func() (string, error) { return Dec10("04112233445566", BigEndian) },
		"dec10 of garbage":     func() (string, error) { return Dec10("zz", BigEndian) },
		"dec10 bad order":      func() (string, error) { return Dec10("04A1B2C3", "x") },
		"wiegand 34 of 3":      func() (string, error) { return Wiegand("A1B2C3", BigEndian, 34) },
		"wiegand 26 of 7":      func() (string, error) { return Wiegand("04112233445566", BigEndian, 26) },
		"wiegand bits 37":      func() (string, error) { return Wiegand("04A1B2C3", BigEndian, 37) },
		"wiegand bad order":    func() (string, error) { return Wiegand("04A1B2C3", "x", 26) },
		"from wiegand 26 wide": func() (string, error) { return FromWiegand(0x1000000, 26, BigEndian) },
	} {
		if got, err := fn(); err == nil {
			t.Errorf("%s = %q, want an error", name, got)
		}
	}
}

func TestFromWiegand(t *testing.T) {
	if got, err := FromWiegand(0xA1B2C3, 26, BigEndian); err != nil || got != "A1B2C3" {
		t.Fatalf("FromWiegand 26 = %q, %v", got, err)
	}
	if got, err := FromWiegand(0x04A1B2C3, 34, LittleEndian); err != nil || got != "C3B2A104" {
		t.Fatalf("FromWiegand 34 le = %q, %v", got, err)
	}
}

func TestParseFormat(t *testing.T) {
	f, err := ParseFormat("", "")
	if err != nil || f.Input != InputHex || f.Order != BigEndian {
		t.Fatalf("defaults = %+v, %v", f, err)
	}
	f, err = ParseFormat(" DEC10 ", "LE")
	if err != nil || f.Input != InputDec10 || f.Order != LittleEndian {
		t.Fatalf("dec10/le = %+v, %v", f, err)
	}
	if _, err := ParseFormat("octal", "be"); err == nil {
		t.Fatal("accepted octal")
	}
	if _, err := ParseFormat("hex", "middle"); err == nil {
		t.Fatal("accepted middle-endian")
	}
}

// FuzzRoundTrip checks that the printed forms of a 4-byte UID convert
// back to the same canonical credential, in both orders, and that
// Normalize never panics and only ever returns canonical hex.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0x04, 0xA1, 0xB2, 0xC3}, "0077705923", false)
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF}, "161,45763", true)
	f.Add([]byte{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, "04 a1:b2-c3", false)
	f.Add([]byte{}, "11010519491231002x", true)
	f.Fuzz(func(t *testing.T, uid []byte, raw string, le bool) {
		order := BigEndian
		if le {
			order = LittleEndian
		}
		// Normalize never panics; what it returns is canonical.
		for _, in := range []Input{InputHex, InputDec10, InputWiegand, InputID} {
			for _, bits := range []int{26, 34} {
				got, err := Format{Input: in, Order: order, WiegandBits: bits}.Normalize(raw)
				if err != nil {
					continue
				}
				if in == InputID {
					if _, err := eldergate.NormalizeResidentID(got); err != nil {
						t.Fatalf("id %q not canonical: %v", got, err)
					}
					continue
				}
				if got != strings.ToUpper(got) {
					t.Fatalf("%s %q -> %q not upper case", in, raw, got)
				}
				if _, err := UID(got); err != nil {
					t.Fatalf("%s %q -> %q not canonical hex: %v", in, raw, got, err)
				}
			}
		}
		if len(uid) == 0 || len(uid) > 10 {
			return
		}
		canon := FromUID(uid, BigEndian)
		// hex round trip in both orders
		printed := FromUID(uid, order) // what a reader of that order prints
		if got, err := (Format{Order: order}).Normalize(printed); len(uid) == 3 || len(uid) == 4 || len(uid) == 5 || len(uid) == 7 || len(uid) == 10 {
			if err != nil || got != canon {
				t.Fatalf("hex %s %q -> %q, %v; want %q", order, printed, got, err, canon)
			}
		}
		if len(uid) == 4 {
			d, err := Dec10(canon, order)
			if err != nil || len(d) != 10 {
				t.Fatalf("Dec10(%s) = %q, %v", canon, d, err)
			}
			if got, err := (Format{Input: InputDec10, Order: order}).Normalize(d); err != nil || got != canon {
				t.Fatalf("dec10 %s %q -> %q, %v; want %q", order, d, got, err, canon)
			}
			w, err := Wiegand(canon, order, 34)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := (Format{Input: InputWiegand, Order: order}).Normalize(w); err != nil || got != canon {
				t.Fatalf("wiegand34 %s %q -> %q, %v; want %q", order, w, got, err, canon)
			}
		}
		if len(uid) == 3 {
			w, err := Wiegand(canon, order, 26)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := (Format{Input: InputWiegand, Order: order, WiegandBits: 26}).Normalize(w); err != nil || got != canon {
				t.Fatalf("wiegand26 %s %q -> %q, %v; want %q", order, w, got, err, canon)
			}
		}
	})
}
