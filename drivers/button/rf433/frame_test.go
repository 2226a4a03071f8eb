package rf433

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Frames below follow the decoder board's description ("each group
// starts with FD and ends with DF", listing quoted in doc.go) and the
// EV1527 datasheet's 20-bit address + 4 data bits; A1B2C3 is address
// A1B2C, key 3.

func TestParseFrame(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Code
		err  error
	}{
		{"ev1527 pendant", []byte{0xFD, 0xA1, 0xB2, 0xC3, 0xDF}, 0xA1B2C3, nil},
		{"with oscillator byte", []byte{0xFD, 0xA1, 0xB2, 0xC3, 0x1C, 0xDF}, 0xA1B2C3, nil},
		{"code bytes equal to markers", []byte{0xFD, 0xFD, 0xDF, 0xFD, 0xDF}, 0xFDDFFD, nil},
		{"zero code", []byte{0xFD, 0, 0, 0, 0xDF}, 0, nil},
		{"truncated", []byte{0xFD, 0xA1, 0xB2}, 0, ErrTruncated},
		{"empty", nil, 0, ErrTruncated},
		{"wrong end byte", []byte{0xFD, 0xA1, 0xB2, 0xC3, 0xDE}, 0, ErrBadEnd},
		{"wrong end 6", []byte{0xFD, 0xA1, 0xB2, 0xC3, 0x00, 0x00}, 0, ErrBadEnd},
		{"too long", []byte{0xFD, 0xA1, 0xB2, 0xC3, 0x00, 0x00, 0xDF}, 0, ErrBadEnd},
		{"no start", []byte{0xFE, 0xA1, 0xB2, 0xC3, 0xDF}, 0, ErrGarbage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFrame(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseFrame(% X) err = %v, want %v", tt.in, err, tt.err)
				}
				if !strings.HasPrefix(err.Error(), "rf433: ") {
					t.Fatalf("error %q lacks the package prefix", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFrame(% X) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		in   string
		want Code
		ok   bool
	}{
		{"RX:A1B2C3", 0xA1B2C3, true},
		{"LC:A1B2C3", 0xA1B2C3, true},
		{"lc:a1b2c3", 0xA1B2C3, true},
		{"  LC: 0F0F0F ", 0x0F0F0F, true},
		{"A1B2C3", 0xA1B2C3, true},
		{"RXD:000001", 1, true},
		{"RX:A1B2C", 0, false},     // truncated
		{"RX:A1B2C3D", 0, false},   // too long
		{"RX:A1B2G3", 0, false},    // not hex
		{":A1B2C3", 0, false},      // no tag
		{"R1:A1B2C3", 0, false},    // tag not letters
		{"RECV1:A1B2C3", 0, false}, // tag too long
		{"RX:A1B2C3:", 0, false},
		{"RX A1B2C3", 0, false},
		{"", 0, false},
		{"\x00\xffRX:A1B2C3", 0, false}, // ParseLine is strict; the Decoder resyncs
	}
	for _, tt := range tests {
		got, err := ParseLine(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("ParseLine(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadLine) {
			t.Errorf("ParseLine(%q) err %v does not wrap ErrBadLine", tt.in, err)
		}
	}
}

func TestParseCodeAndString(t *testing.T) {
	c, err := ParseCode("a1b2c3")
	if err != nil || c != 0xA1B2C3 || c.String() != "A1B2C3" || c.Address() != 0xA1B2C || c.Key() != 3 {
		t.Fatalf("ParseCode = %v (%s, addr %X key %d), %v", uint32(c), c, c.Address(), c.Key(), err)
	}
	if Code(0x12).String() != "000012" {
		t.Fatalf("String pads: %s", Code(0x12))
	}
	for _, bad := range []string{"", "A1B2C", "A1B2C3D", "+1B2C3", "XYZXYZ", "0x1234"} {
		if _, err := ParseCode(bad); err == nil {
			t.Errorf("ParseCode(%q) accepted", bad)
		}
	}
}

// outcome renders decoder results compactly: codes as hex, errors by kind.
func outcome(rs []Result) string {
	var s []string
	for _, r := range rs {
		switch {
		case r.Err == nil:
			s = append(s, r.Code.String())
		case errors.Is(r.Err, ErrGarbage):
			s = append(s, "garbage")
		case errors.Is(r.Err, ErrBadEnd):
			s = append(s, "badend")
		case errors.Is(r.Err, ErrTruncated):
			s = append(s, "truncated")
		case errors.Is(r.Err, ErrBadLine):
			s = append(s, "badline")
		default:
			s = append(s, "other:"+r.Err.Error())
		}
	}
	return strings.Join(s, " ")
}

func TestDecoderFD(t *testing.T) {
	f := func(c ...byte) []byte { return append(append([]byte{0xFD}, c...), 0xDF) }
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"one frame", f(0xA1, 0xB2, 0xC3), "A1B2C3"},
		{"repeats", cat(f(0xA1, 0xB2, 0xC3), f(0xA1, 0xB2, 0xC3)), "A1B2C3 A1B2C3"},
		{"garbage between", cat([]byte{0x00, 0x55}, f(1, 2, 3), []byte{0xFF, 0x13}, f(4, 5, 6)), "garbage 010203 garbage 040506"},
		{"six-byte frame is not fd", cat(f(0xA1, 0xB2, 0xC3, 0x2A), f(1, 2, 3)), "badend garbage 010203"},
		{"wrong end byte then good", cat([]byte{0xFD, 1, 2, 3, 0x00, 0x00}, f(4, 5, 6)), "badend garbage 040506"},
		{"truncated then good", cat([]byte{0xFD, 0xA1, 0xB2}, f(0xA1, 0xB2, 0xC3)), "badend garbage A1B2C3"},
		{"start byte in garbage", cat([]byte{0x11, 0xFD}, f(7, 8, 9)), "garbage badend 070809"},
		{"wrong end byte", []byte{0xFD, 1, 2, 3, 0xDE, 0x00}, "badend garbage"},
		{"only garbage", []byte{1, 2, 3}, "garbage"},
		{"partial waits", []byte{0xFD, 1, 2}, ""},
		{"code full of markers", f(0xFD, 0xFD, 0xFD), "FDFDFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := NewDecoder(FormatFD, 0)
			got := outcome(d.Feed(tt.in, time.Unix(0, 0)))
			if got != tt.want {
				t.Fatalf("Feed(% X) = %q, want %q", tt.in, got, tt.want)
			}
			// Byte by byte gives the same codes.
			d2, _ := NewDecoder(FormatFD, 0)
			var all []Result
			for _, b := range tt.in {
				all = append(all, d2.Feed([]byte{b}, time.Unix(0, 0))...)
			}
			if codes(all) != codesOf(tt.want) {
				t.Fatalf("byte by byte codes %q, want %q", codes(all), codesOf(tt.want))
			}
		})
	}
}

func TestDecoderFD6(t *testing.T) {
	in := []byte{0x00, 0xFD, 0xA1, 0xB2, 0xC3, 0x2A, 0xDF, 0xFD, 1, 2, 3, 4, 0xDE, 0xFD, 4, 5, 6, 7, 0xDF}
	d, _ := NewDecoder(FormatFD6, 0)
	if got := outcome(d.Feed(in, time.Unix(0, 0))); got != "garbage A1B2C3 badend garbage 040506" {
		t.Fatalf("fd6 = %q", got)
	}
	// A five-byte frame does not pass as fd6.
	d, _ = NewDecoder(FormatFD6, 0)
	if got := codes(d.Feed([]byte{0xFD, 1, 2, 3, 0xDF, 0x00}, time.Unix(0, 0))); got != "" {
		t.Fatalf("fd6 took a five-byte frame: %q", got)
	}
}

func codes(rs []Result) string {
	var s []string
	for _, r := range rs {
		if r.Err == nil {
			s = append(s, r.Code.String())
		}
	}
	return strings.Join(s, " ")
}

func codesOf(outcome string) string {
	var s []string
	for _, w := range strings.Fields(outcome) {
		if _, err := ParseCode(w); err == nil {
			s = append(s, w)
		}
	}
	return strings.Join(s, " ")
}

func TestDecoderASCII(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"rx line", "RX:A1B2C3\r\n", "A1B2C3"},
		{"lc lines", "LC:A1B2C3\r\nLC:A1B2C8\r\n", "A1B2C3 A1B2C8"},
		{"lf only and cr only", "RX:000001\nRX:000002\r", "000001 000002"},
		{"blank lines ignored", "\r\n\r\n  \r\nRX:A1B2C3\r\n", "A1B2C3"},
		{"noise before tag", "\x00\xffRX:A1B2C3\r\n", "garbage A1B2C3"},
		{"noise line", "\x13\x37\r\nRX:A1B2C3\r\n", "badline A1B2C3"},
		{"truncated line", "RX:A1B\r\nRX:A1B2C3\r\n", "badline A1B2C3"},
		{"bad hex", "RX:A1B2Z3\r\n", "badline"},
		{"over-long line", strings.Repeat("x", 100) + "RX:A1B2C3\r\nRX:000003\r\n", "badline 000003"},
		{"partial waits", "RX:A1B2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := NewDecoder(FormatASCII, 0)
			got := outcome(d.Feed([]byte(tt.in), time.Unix(0, 0)))
			if got != tt.want {
				t.Fatalf("Feed(%q) = %q, want %q", tt.in, got, tt.want)
			}
			d2, _ := NewDecoder(FormatASCII, 0)
			var all []Result
			for i := 0; i < len(tt.in); i++ {
				all = append(all, d2.Feed([]byte{tt.in[i]}, time.Unix(0, 0))...)
			}
			if got := outcome(all); got != tt.want {
				t.Fatalf("byte by byte = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecoderFrameGap(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		format     Format
		part, rest string
	}{
		{FormatFD, "\xFD\xA1\xB2", "\xFD\x01\x02\x03\xDF"},
		{FormatASCII, "RX:A1B", "RX:010203\r\n"},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			d, _ := NewDecoder(tc.format, 60*time.Millisecond)
			if got := outcome(d.Feed([]byte(tc.part), t0)); got != "" {
				t.Fatalf("partial = %q", got)
			}
			got := outcome(d.Feed([]byte(tc.rest), t0.Add(200*time.Millisecond)))
			if got != "truncated 010203" {
				t.Fatalf("after gap = %q, want truncated then the frame", got)
			}
			// Within the gap the frame is completed normally.
			d, _ = NewDecoder(tc.format, 60*time.Millisecond)
			full := tc.rest[:len(tc.rest)/2]
			d.Feed([]byte(full), t0)
			if got := outcome(d.Feed([]byte(tc.rest[len(full):]), t0.Add(10*time.Millisecond))); got != "010203" {
				t.Fatalf("split within gap = %q", got)
			}
		})
	}
}

func TestDecoderBoundedBuffer(t *testing.T) {
	d, _ := NewDecoder(FormatASCII, 0)
	for i := 0; i < 1000; i++ {
		d.Feed([]byte(strings.Repeat("z", 97)), time.Unix(0, 0))
	}
	if len(d.buf) > maxLine || cap(d.buf) > 8*maxLine {
		t.Fatalf("ascii buffer grew to len %d cap %d", len(d.buf), cap(d.buf))
	}
	d, _ = NewDecoder(FormatFD, 0)
	for i := 0; i < 1000; i++ {
		d.Feed([]byte{0xFD, 1, 2, 3, 4, 5, 6}, time.Unix(0, 0))
	}
	if len(d.buf) > frameLenX {
		t.Fatalf("fd buffer holds %d bytes", len(d.buf))
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatFD, "fd": FormatFD, "FD6": FormatFD6, "ASCII": FormatASCII, " ascii ": FormatASCII} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("hex"); err == nil {
		t.Error("ParseFormat(hex) accepted")
	}
	if _, err := NewDecoder("hex", 0); err == nil {
		t.Error("NewDecoder(hex) accepted")
	}
}

func TestParseCodes(t *testing.T) {
	got, err := ParseCodes(" A1B2C3=hall-1, a1b2c8 = toilet-2;0F0F0F=bed 3\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[Code]string{0xA1B2C3: "hall-1", 0xA1B2C8: "toilet-2", 0x0F0F0F: "bed 3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ParseCodes = %v, want %v", got, want)
	}
	if got, err := ParseCodes(""); err != nil || len(got) != 0 {
		t.Fatalf("empty table = %v, %v", got, err)
	}
	for _, bad := range []string{"A1B2C3", "A1B2C3=", "A1B2=x", "A1B2C3=a,a1b2c3=b", "=x"} {
		if _, err := ParseCodes(bad); err == nil {
			t.Errorf("ParseCodes(%q) accepted", bad)
		}
	}
}
