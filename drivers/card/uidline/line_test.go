package uidline

import (
	"errors"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// TestLongLine: a line longer than MaxLine (split off by
// serialport.ReadLines) is an ErrLine that says its length.
func TestLongLine(t *testing.T) {
	var got []error
	_ = serialport.ReadLines(strings.NewReader(strings.Repeat("A", MaxLine+5)+"\r\n04A1B2C3\n"), MaxLine, func(line string, err error) error {
		if err != nil {
			got = append(got, longLine(err))
		}
		return nil
	})
	if len(got) != 1 || !errors.Is(got[0], ErrLine) || !strings.Contains(got[0].Error(), "69 bytes, longer than 64") {
		t.Fatalf("errors %v", got)
	}
}

// The lines below are the output formats listed in the manuals of common
// serial desktop readers: "8H" (8 hex digits, UID0 first), "8H reversed",
// "10D" (10-digit decimal), 14-digit hex for 7-byte UIDs, Wiegand
// "fac,card", optionally wrapped in STX/ETX or with a prefix.
func TestParse(t *testing.T) {
	hex := card.Format{Input: card.InputHex, Order: card.BigEndian}
	tests := []struct {
		name    string
		p       Parser
		line    string
		want    string
		wantErr bool
	}{
		{"hex 4 bytes", Parser{Format: hex}, "04A1B2C3", "04A1B2C3", false},
		{"hex lower case", Parser{Format: hex}, "04a1b2c3", "04A1B2C3", false},
		{"hex 7 bytes", Parser{Format: hex}, "04112233445566", "04112233445566", false},
		{"hex reversed", Parser{Format: card.Format{Order: card.LittleEndian}}, "C3B2A104", "04A1B2C3", false},
		{"hex in STX/ETX", Parser{Format: hex}, "\x0204A1B2C3\x03", "04A1B2C3", false},
		{"dec10 be", Parser{Format: card.Format{Input: card.InputDec10}}, "0077705923", "04A1B2C3", false},
		{"dec10 le", Parser{Format: card.Format{Input: card.InputDec10, Order: card.LittleEndian}}, "3283263748", "04A1B2C3", false},
		{"wiegand 26", Parser{Format: card.Format{Input: card.InputWiegand, WiegandBits: 26}}, "161,45763", "A1B2C3", false},
		{"prefix and suffix", Parser{Format: hex, Prefix: "ID:", Suffix: "#"}, " ID:04A1B2C3# ", "04A1B2C3", false},
		{"id number", Parser{Format: card.Format{Input: card.InputID}}, "11010519491231002x", "11010519491231002X", false},
		{"missing prefix", Parser{Format: hex, Prefix: "ID:"}, "04A1B2C3", "", true},
		{"missing suffix", Parser{Format: hex, Suffix: "#"}, "04A1B2C3", "", true},
		{"only prefix", Parser{Format: hex, Prefix: "ID:"}, "ID:", "", true},
		{"garbage", Parser{Format: hex}, "hello world", "", true},
		{"hex 9 digits", Parser{Format: hex}, "04A1B2C3D", "", true},
		{"dec10 in hex mode is 5 bytes", Parser{Format: hex}, "0077705923", "0077705923", false},
		{"hex in dec10 mode", Parser{Format: card.Format{Input: card.InputDec10}}, "04A1B2C3", "", true},
		{"dec10 overflow", Parser{Format: card.Format{Input: card.InputDec10}}, "9999999999", "", true},
		{"noise bytes", Parser{Format: hex}, "\xff\xfe04A1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.Parse(tt.line)
			if tt.wantErr {
				if err == nil || !errors.Is(err, ErrLine) || !strings.HasPrefix(err.Error(), "uidline: ") {
					t.Fatalf("Parse(%q) = %q, %v; want a uidline error", tt.line, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %q, %v; want %q", tt.line, got, err, tt.want)
			}
		})
	}
	_, err := Parser{Format: card.Format{Input: card.InputID}, Prefix: "X"}.Parse("11010519491231002X")
	if err == nil || strings.Contains(err.Error(), "110105") {
		t.Fatalf("ID line error %v must exist and not show the number", err)
	}
}

// FuzzLines feeds arbitrary bytes through the scanner and parser: no
// panic, lines never contain terminators or exceed MaxLine, and whatever
// is delivered is a canonical credential.
func FuzzLines(f *testing.F) {
	f.Add([]byte("04A1B2C3\r\n"), false)
	f.Add([]byte("0077705923\n\n"), true)
	f.Add([]byte("\x0204a1b2c3\x03\r"), false)
	f.Add([]byte(strings.Repeat("9", 100)+"\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, dec bool) {
		p := Parser{Format: card.Format{Input: card.InputHex}}
		if dec {
			p.Format.Input = card.InputDec10
		}
		s := serialport.LineScanner{Max: MaxLine}
		for _, c := range in {
			line, ok, _ := s.Feed(c)
			if !ok {
				continue
			}
			if line == "" || len(line) > MaxLine || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bad line %q", line)
			}
			cred, err := p.Parse(line)
			if err != nil {
				continue
			}
			if _, err := card.UID(cred); err != nil || cred != strings.ToUpper(cred) {
				t.Fatalf("line %q gave non-canonical %q", line, cred)
			}
		}
	})
}
