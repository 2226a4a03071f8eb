package uidline

import (
	"errors"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/drivers/card"
)

func scanLines(in string) (lines []string, errs []error) {
	var s LineScanner
	for i := 0; i < len(in); i++ {
		l, ok, err := s.Feed(in[i])
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			lines = append(lines, l)
		}
	}
	return lines, errs
}

func TestLineScanner(t *testing.T) {
	long := strings.Repeat("A", MaxLine+5)
	tests := []struct {
		name  string
		in    string
		lines []string
		errs  int
	}{
		{"LF", "04A1B2C3\n", []string{"04A1B2C3"}, 0},
		{"CR", "04A1B2C3\r", []string{"04A1B2C3"}, 0},
		{"CRLF twice", "04A1B2C3\r\n0077705923\r\n", []string{"04A1B2C3", "0077705923"}, 0},
		{"blank lines skipped", "\n\r\n\r\r04A1B2C3\n\n", []string{"04A1B2C3"}, 0},
		{"no terminator yet", "04A1B2", nil, 0},
		{"exactly MaxLine", strings.Repeat("B", MaxLine) + "\n", []string{strings.Repeat("B", MaxLine)}, 0},
		{"too long then good", long + "\r\n04A1B2C3\n", []string{"04A1B2C3"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, errs := scanLines(tt.in)
			if strings.Join(lines, "|") != strings.Join(tt.lines, "|") || len(errs) != tt.errs {
				t.Fatalf("lines %q errs %v; want %q and %d errors", lines, errs, tt.lines, tt.errs)
			}
			for _, err := range errs {
				if !errors.Is(err, ErrLine) {
					t.Fatalf("error %v is not ErrLine", err)
				}
			}
		})
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
		var s LineScanner
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
