package serialtill

import (
	"errors"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/drivers/serialport"
	"github.com/eldergate/eldergate/drivers/till"
)

// TestLongLine: a line longer than MaxLine (split off by
// serialport.ReadLines) is answered ERR long with its length.
func TestLongLine(t *testing.T) {
	var got []error
	_ = serialport.ReadLines(strings.NewReader("AMT 1\r\n"+strings.Repeat("9", MaxLine+3)+"\r\nAMT 4\n"), MaxLine, func(line string, err error) error {
		if err != nil {
			got = append(got, longLine(err))
		}
		return nil
	})
	var le *LineError
	if len(got) != 1 || !errors.As(got[0], &le) || le.Code != CodeLong || !errors.Is(got[0], ErrFrame) || !strings.Contains(le.Reason, "163 bytes") ||
		le.Answer() != "ERR long line of 163 bytes, longer than 160\r\n" {
		t.Fatalf("errors %v", got)
	}
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		want Command
		code string
	}{
		{"AMT 1250 REF-123", Command{Fen: 1250, Ref: "REF-123"}, ""},
		{"AMT 1250", Command{Fen: 1250}, ""},
		{"amt\t800   S-0042 ", Command{Fen: 800, Ref: "S-0042"}, ""},
		{"PING", Command{Ping: true}, ""},
		{"AMT 00000100", Command{Fen: 100}, ""},
		{"AMT 12.50", Command{}, CodeAmount},
		{"AMT -100", Command{}, CodeAmount},
		{"AMT +100", Command{}, CodeAmount},
		{"AMT 0", Command{}, CodeAmount},
		{"AMT 1e3", Command{}, CodeAmount},
		{"AMT 123456789", Command{}, CodeAmount},
		{"AMT", Command{}, CodeAmount},
		{"AMT 100 REF with spaces", Command{}, CodeSyntax},
		{"AMT 100 " + strings.Repeat("R", till.MaxRef+1), Command{}, CodeRef},
		{"PAY 100", Command{}, CodeSyntax},
		{"PING now", Command{}, CodeSyntax},
		{"AMT 100 \xe5\x8f\xb7", Command{}, CodeSyntax},
		{"AMT 100\x00", Command{}, CodeSyntax},
	}
	for _, tt := range tests {
		got, err := ParseLine(tt.line)
		if tt.code == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseLine(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
			}
			continue
		}
		var le *LineError
		if !errors.As(err, &le) || le.Code != tt.code {
			t.Errorf("ParseLine(%q) = %+v, %v; want code %s", tt.line, got, err, tt.code)
			continue
		}
		if a := le.Answer(); !strings.HasPrefix(a, "ERR "+tt.code+" ") || !strings.HasSuffix(a, "\r\n") || strings.ContainsAny(a[:len(a)-2], "\r\n") {
			t.Errorf("answer %q is not one ERR line", a)
		}
	}
}

func TestAnswerError(t *testing.T) {
	if e := answerError(errors.Join(till.ErrBusy, errors.New("waits\nsince 12:00 — 收银"))); e.Code != CodeBusy || strings.ContainsAny(e.Reason, "\n—收") {
		t.Fatalf("busy answer %+v", e)
	}
	if e := answerError(errors.New("above 200.00")); e.Code != CodeRefused {
		t.Fatalf("refused answer %+v", e)
	}
}

// FuzzLine feeds arbitrary bytes through the scanner and the parser: no
// panic; lines never hold terminators nor exceed MaxLine; a parsed amount
// is above zero with a printable reference of at most MaxRef bytes; every
// error is an ErrFrame whose answer is one line of printable ASCII.
func FuzzLine(f *testing.F) {
	f.Add([]byte("AMT 1250 REF-123\r\n"))
	f.Add([]byte("PING\nAMT 0\nAMT 12.50\r"))
	f.Add([]byte("\xff\xfeAMT\x1b 99999999 x\n" + strings.Repeat("7", 200) + "\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := serialport.LineScanner{Max: MaxLine}
		for _, c := range in {
			line, ok, err := s.Feed(c)
			if err != nil {
				checkLineErr(t, longLine(err))
			}
			if !ok {
				continue
			}
			if line == "" || len(line) > MaxLine || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bad line %q", line)
			}
			cmd, err := ParseLine(line)
			if err != nil {
				checkLineErr(t, err)
				continue
			}
			if cmd.Ping {
				continue
			}
			if cmd.Fen <= 0 || cmd.Fen > 99_999_999 || len(cmd.Ref) > till.MaxRef || strings.ContainsAny(cmd.Ref, " \t") {
				t.Fatalf("line %q gave %+v", line, cmd)
			}
			for _, r := range cmd.Ref {
				if r <= 0x20 || r >= 0x7F {
					t.Fatalf("line %q gave a ref with %q", line, r)
				}
			}
		}
	})
}

func checkLineErr(t *testing.T, err error) {
	t.Helper()
	var le *LineError
	if !errors.As(err, &le) || !errors.Is(err, ErrFrame) {
		t.Fatalf("error %v is not a LineError", err)
	}
	a := le.Answer()
	body := a[:len(a)-2]
	for i := 0; i < len(body); i++ {
		if body[i] < 0x20 || body[i] >= 0x7F {
			t.Fatalf("answer %q is not printable ASCII", a)
		}
	}
}
