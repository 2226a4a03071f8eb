package mfrc522

import (
	"bytes"
	"errors"
	"testing"
)

// CRC_A examples: ISO/IEC 14443-3, Annex B ("CRC_A and CRC_B
// encoding"): 0x00 0x00 -> 0xA0 0x1E, 0x12 0x34 -> 0x26 0xCF. HLTA (50 00
// with its CRC_A, the type A HLTA command of ISO/IEC 14443-3): 50 00 57
// CD. SAK 0x08 of a MIFARE Classic 1K with its CRC_A, as seen in reader
// traces: 08 B6 DD.
func TestCRCA(t *testing.T) {
	tests := []struct {
		in   []byte
		want []byte
	}{
		{[]byte{0x00, 0x00}, []byte{0xA0, 0x1E}},
		{[]byte{0x12, 0x34}, []byte{0x26, 0xCF}},
		{[]byte{0x50, 0x00}, []byte{0x57, 0xCD}},
		{[]byte{0x08}, []byte{0xB6, 0xDD}},
	}
	for _, tt := range tests {
		c := CRCA(tt.in)
		if got := []byte{byte(c), byte(c >> 8)}; !bytes.Equal(got, tt.want) {
			t.Errorf("CRC_A(% X) = % X, want % X", tt.in, got, tt.want)
		}
	}
}

// Anticollision answers: 4 bytes and BCC = XOR of the 4 (ISO/IEC
// 14443-3, type A anticollision, "UID contents and cascade levels"; for
// a 7-byte UID the first level is CT 0x88, UID0-UID2, BCC).
func TestParseAnticollision(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"single size UID", []byte{0xA1, 0xB2, 0xC3, 0xD4, 0x04}, true},
		{"cascade level 1 of a double size UID", []byte{0x88, 0x04, 0x11, 0x22, 0xBF}, true},
		{"cascade level 2 of a double size UID", []byte{0x33, 0x44, 0x55, 0x66, 0x44}, true},
		{"wrong BCC", []byte{0xA1, 0xB2, 0xC3, 0xD4, 0x05}, false},
		{"truncated", []byte{0xA1, 0xB2, 0xC3, 0xD4}, false},
		{"too long", []byte{0xA1, 0xB2, 0xC3, 0xD4, 0x04, 0x00}, false},
		{"empty (error register set)", nil, false},
	}
	for _, tt := range tests {
		got, err := ParseAnticollision(tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrFrame) || got != nil {
				t.Errorf("%s: got %v, %v", tt.name, got, err)
			}
			continue
		}
		if !bytes.Equal(got, tt.in) {
			t.Errorf("%s: got % X", tt.name, got)
		}
	}
}

// SELECT frames and SAK answers (ISO/IEC 14443-3, type A select). SAK
// values from NXP datasheets: MIFARE Classic EV1 1K (MF1S50YYX) 0x08;
// NTAG213/215/216 and MIFARE Ultralight 0x04 after the first cascade
// level (UID not complete) and 0x00 after the second.
func TestSelectFrameAndSAK(t *testing.T) {
	if got, want := SelectFrame(0x93, []byte{0xA1, 0xB2, 0xC3, 0xD4, 0x04}), []byte{0x93, 0x70, 0xA1, 0xB2, 0xC3, 0xD4, 0x04, 0x77, 0xFB}; !bytes.Equal(got, want) {
		t.Errorf("SelectFrame = % X, want % X", got, want)
	}
	tests := []struct {
		name string
		in   []byte
		bits int
		sak  byte
		ok   bool
	}{
		{"classic 1K", []byte{0x08, 0xB6, 0xDD}, 24, 0x08, true},
		{"cascade bit", []byte{0x04, 0xDA, 0x17}, 24, 0x04, true},
		{"complete ultralight", []byte{0x00, 0xFE, 0x51}, 24, 0x00, true},
		{"bad CRC", []byte{0x08, 0xB6, 0xDE}, 24, 0, false},
		{"short", []byte{0x08}, 8, 0, false},
		{"wrong bit count", []byte{0x08, 0xB6, 0xDD}, 23, 0, false},
	}
	for _, tt := range tests {
		sak, err := ParseSAK(tt.in, tt.bits)
		if tt.ok != (err == nil) || sak != tt.sak {
			t.Errorf("%s: ParseSAK = %#x, %v", tt.name, sak, err)
		}
	}
}

func TestCascade(t *testing.T) {
	var c cascade
	if done, err := c.add(0, []byte{0x88, 0x04, 0x11, 0x22, 0xBF}, 0x04); done || err != nil {
		t.Fatalf("level 1: %v %v", done, err)
	}
	if done, err := c.add(1, []byte{0x33, 0x44, 0x55, 0x66, 0x44}, 0x00); !done || err != nil {
		t.Fatalf("level 2: %v %v", done, err)
	}
	if want := []byte{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}; !bytes.Equal(c.uid, want) {
		t.Errorf("uid = % X", c.uid)
	}
	bad := []struct {
		level int
		b     []byte
		sak   byte
	}{
		{0, []byte{0xA1, 0xB2, 0xC3, 0xD4, 0x04}, 0x04}, // SAK says more, no CT
		{0, []byte{0x88, 0x04, 0x11, 0x22, 0xBF}, 0x08}, // CT but SAK says complete
		{2, []byte{0x88, 0x04, 0x11, 0x22, 0xBF}, 0x04}, // more than 3 levels
	}
	for i, b := range bad {
		var c cascade
		if _, err := c.add(b.level, b.b, b.sak); !errors.Is(err, ErrFrame) {
			t.Errorf("bad %d: err = %v", i, err)
		}
	}
}

// FuzzCardAnswers checks that the parsers of card answers never panic
// and accept only answers whose BCC or CRC_A holds, and that the cascade
// never yields a UID of another length than 4, 7 or 10 bytes.
func FuzzCardAnswers(f *testing.F) {
	f.Add([]byte{0xA1, 0xB2, 0xC3, 0xD4, 0x04}, []byte{0x08, 0xB6, 0xDD}, 24)
	f.Add([]byte{0x88, 0x04, 0x11, 0x22, 0xBF}, []byte{0x04, 0xDA, 0x17}, 24)
	f.Add([]byte{0x33, 0x44, 0x55, 0x66, 0x44}, []byte{0x00, 0xFE, 0x51}, 24)
	f.Add([]byte{}, []byte{0x08}, 8)
	f.Fuzz(func(t *testing.T, anti, sakResp []byte, bits int) {
		uidBCC, err := ParseAnticollision(anti)
		if err == nil {
			if len(uidBCC) != 5 || uidBCC[0]^uidBCC[1]^uidBCC[2]^uidBCC[3] != uidBCC[4] {
				t.Fatalf("accepted % X", anti)
			}
		}
		sak, err2 := ParseSAK(sakResp, bits)
		if err2 == nil {
			c := CRCA(sakResp[:1])
			if len(sakResp) != 3 || bits != 24 || sakResp[1] != byte(c) || sakResp[2] != byte(c>>8) || sak != sakResp[0] {
				t.Fatalf("accepted SAK % X (%d bits)", sakResp, bits)
			}
		}
		if err != nil || err2 != nil {
			return
		}
		var c cascade
		for level := 0; level < 3; level++ {
			done, err := c.add(level, uidBCC, sak)
			if err != nil {
				return
			}
			if done {
				if n := len(c.uid); n != 4 && n != 7 && n != 10 {
					t.Fatalf("UID of %d bytes", n)
				}
				return
			}
		}
		t.Fatal("cascade neither done nor failed after 3 levels")
	})
}
