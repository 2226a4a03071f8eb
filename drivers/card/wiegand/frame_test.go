package wiegand

import (
	"errors"
	"strings"
	"testing"
)

// bitsOf parses "1 01111011 ..." (spaces ignored) into bits.
func bitsOf(t testing.TB, s string) []bool {
	t.Helper()
	var b []bool
	for _, c := range strings.ReplaceAll(s, " ", "") {
		switch c {
		case '0':
			b = append(b, false)
		case '1':
			b = append(b, true)
		default:
			t.Fatalf("bad bit %q in %q", c, s)
		}
	}
	return b
}

// The frames follow the layouts of HID Global, "Understanding Card Data
// Formats" (Technology Basics White Paper, 2006), format H10301 (26-bit:
// P FFFFFFFF CCCCCCCCCCCCCCCC P, bit 1 even parity over bits 2-13, bit 26
// odd parity over bits 14-25) and H10306 (34-bit: 16-bit facility, 16-bit
// card, bit 1 even parity over bits 2-17, bit 34 odd parity over bits
// 18-33). Spaces separate the parity bits from the facility and card
// fields. The parity bits were computed by hand and checked with an
// independent script.
func TestDecode(t *testing.T) {
	tests := []struct {
		name     string
		bits     string
		want     Frame
		hex      string
		wantErr  error
		errInMsg string
	}{
		{name: "W26 facility 123 card 45678",
			bits: "1 01111011 1011001001101110 1",
			want: Frame{Bits: 26, Data: 0x7BB26E, Facility: 123, Card: 45678}, hex: "7BB26E"},
		{name: "W26 all zero",
			bits: "0 00000000 0000000000000000 1",
			want: Frame{Bits: 26, Data: 0, Facility: 0, Card: 0}, hex: "000000"},
		{name: "W26 all ones",
			bits: "0 11111111 1111111111111111 1",
			want: Frame{Bits: 26, Data: 0xFFFFFF, Facility: 255, Card: 65535}, hex: "FFFFFF"},
		{name: "W34 facility 1234 card 56789",
			bits: "1 0000010011010010 1101110111010101 0",
			want: Frame{Bits: 34, Data: 0x04D2DDD5, Facility: 1234, Card: 56789}, hex: "04D2DDD5"},
		{name: "W34 all ones",
			bits: "0 1111111111111111 1111111111111111 1",
			want: Frame{Bits: 34, Data: 0xFFFFFFFF, Facility: 65535, Card: 65535}, hex: "FFFFFFFF"},

		{name: "W26 leading parity wrong",
			bits: "0 01111011 1011001001101110 1", wantErr: ErrParity, errInMsg: "even"},
		{name: "W26 trailing parity wrong",
			bits: "1 01111011 1011001001101110 0", wantErr: ErrParity, errInMsg: "odd"},
		{name: "W26 one data bit flipped in the facility",
			bits: "1 01111010 1011001001101110 1", wantErr: ErrParity},
		{name: "W26 one data bit flipped in the card",
			bits: "1 01111011 1011001001101111 1", wantErr: ErrParity},
		{name: "W34 trailing parity wrong",
			bits: "1 0000010011010010 1101110111010101 1", wantErr: ErrParity},
		{name: "W26 truncated: last bit lost",
			bits: "1 01111011 1011001001101110", wantErr: ErrLength, errInMsg: "25 bits"},
		{name: "W26 with an extra noise pulse",
			bits: "1 01111011 1011001001101110 1 0", wantErr: ErrLength, errInMsg: "27 bits"},
		{name: "single noise pulse", bits: "1", wantErr: ErrLength},
		{name: "empty", bits: "", wantErr: ErrLength},
		{name: "W37 is not supported",
			bits: "0 0000000000000000000 0000000000000000 1", wantErr: ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(bitsOf(t, tt.bits))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Decode error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errInMsg) {
					t.Errorf("error %q does not mention %q", err, tt.errInMsg)
				}
				if got != (Frame{}) {
					t.Errorf("Decode returned %+v with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != tt.want {
				t.Errorf("Decode = %+v, want %+v", got, tt.want)
			}
			if got.Hex() != tt.hex {
				t.Errorf("Hex = %q, want %q", got.Hex(), tt.hex)
			}
			enc, err := Encode(got.Bits, got.Data)
			if err != nil {
				t.Fatal(err)
			}
			if bitString(enc) != bitString(bitsOf(t, tt.bits)) {
				t.Errorf("Encode = %s, want %s", bitString(enc), bitString(bitsOf(t, tt.bits)))
			}
		})
	}
}

func TestEncodeFacilityCard(t *testing.T) {
	b, err := EncodeFacilityCard(26, 123, 45678)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bitString(b), bitString(bitsOf(t, "1 01111011 1011001001101110 1")); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := EncodeFacilityCard(26, 256, 1); err == nil {
		t.Error("facility 256 accepted for 26 bits")
	}
	if _, err := EncodeFacilityCard(34, 1, 65536); err == nil {
		t.Error("card 65536 accepted")
	}
	if _, err := Encode(26, 1<<24); err == nil {
		t.Error("25-bit data accepted for 26 bits")
	}
	if _, err := Encode(30, 1); !errors.Is(err, ErrLength) {
		t.Errorf("Encode(30) error = %v", err)
	}
	if s := (Frame{Bits: 26, Facility: 123, Card: 45678}).String(); s != "W26 123,45678" {
		t.Errorf("String = %q", s)
	}
}

func bitString(b []bool) string {
	var s strings.Builder
	for _, v := range b {
		if v {
			s.WriteByte('1')
		} else {
			s.WriteByte('0')
		}
	}
	return s.String()
}

// FuzzDecode checks that Decode never panics, accepts only 26- or 34-bit
// frames whose both parities hold, and that an accepted frame encodes
// back to the same bits with consistent facility and card fields.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"1 01111011 1011001001101110 1",
		"1 0000010011010010 1101110111010101 0",
		"0 01111011 1011001001101110 1",
		"1", "",
	} {
		var b []byte
		for _, c := range strings.ReplaceAll(s, " ", "") {
			b = append(b, byte(c-'0'))
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		bits := make([]bool, len(in))
		for i, c := range in {
			bits[i] = c&1 == 1
		}
		fr, err := Decode(bits)
		if err != nil {
			if fr != (Frame{}) {
				t.Fatalf("frame %+v returned with error %v", fr, err)
			}
			if !errors.Is(err, ErrLength) && !errors.Is(err, ErrParity) {
				t.Fatalf("unexpected error kind %v", err)
			}
			return
		}
		n := len(bits)
		if n != 26 && n != 34 {
			t.Fatalf("accepted %d bits", n)
		}
		if ones(bits[:n/2])%2 != 0 || ones(bits[n/2:])%2 != 1 {
			t.Fatalf("accepted bad parity %s", bitString(bits))
		}
		if fr.Facility<<16|fr.Card != fr.Data || len(fr.Hex()) != (n-2)/4 {
			t.Fatalf("inconsistent frame %+v", fr)
		}
		enc, err := Encode(n, fr.Data)
		if err != nil || bitString(enc) != bitString(bits) {
			t.Fatalf("Encode(%d, %#x) = %s, %v; want %s", n, fr.Data, bitString(enc), err, bitString(bits))
		}
	})
}
