package serialport

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// scan runs ReadLines over in with Max 8.
func scan(t *testing.T, in string) (lines []string, long []*LongLineError) {
	t.Helper()
	err := ReadLines(strings.NewReader(in), 8, func(line string, err error) error {
		var le *LongLineError
		switch {
		case errors.As(err, &le):
			long = append(long, le)
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		default:
			lines = append(lines, line)
		}
		return nil
	})
	if err != io.EOF {
		t.Fatalf("ReadLines ended with %v, want the reader's EOF", err)
	}
	return lines, long
}

func TestReadLines(t *testing.T) {
	tests := []struct {
		name, in string
		lines    []string
		long     []int // lengths of the over-long lines
	}{
		{"LF", "04A1B2C3\n", []string{"04A1B2C3"}, nil},
		{"CR", "04A1B2C3\r", []string{"04A1B2C3"}, nil},
		{"CR LF twice", "AMT 1\r\nAMT 2\r\n", []string{"AMT 1", "AMT 2"}, nil},
		{"blank lines skipped", "\n\r\n\r\rAB\n\n", []string{"AB"}, nil},
		{"no terminator yet", "04A1B2", nil, nil},
		{"exactly Max", "12345678\n", []string{"12345678"}, nil},
		{"too long, reported once, then a good line", "123456789ABC\r\nOK\n", []string{"OK"}, []int{12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, long := scan(t, tt.in)
			var lens []int
			for _, l := range long {
				if l.Max != 8 || !strings.Contains(l.Error(), "longer than 8") {
					t.Errorf("long line error %v", l)
				}
				lens = append(lens, l.Len)
			}
			if strings.Join(lines, "|") != strings.Join(tt.lines, "|") || len(lens) != len(tt.long) || (len(lens) > 0 && lens[0] != tt.long[0]) {
				t.Fatalf("lines %q long %v; want %q and %v", lines, lens, tt.lines, tt.long)
			}
		})
	}
}

// TestReadLinesStopsOnHandlerError: fn's error ends the reading.
func TestReadLinesStopsOnHandlerError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ReadLines(strings.NewReader("A\nB\nC\n"), 8, func(string, error) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("err %v after %d lines", err, n)
	}
}

// FuzzLineScanner: no panic; a line is non-empty, has no terminator and
// is at most Max bytes; a long line's error says a length above Max.
func FuzzLineScanner(f *testing.F) {
	f.Add([]byte("04A1B2C3\r\n"), 8)
	f.Add([]byte("\n\r\r\nAMT 12\r"), 4)
	f.Add([]byte(strings.Repeat("9", 100)+"\n"), 64)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max < 1 || max > 1024 {
			return
		}
		s := LineScanner{Max: max}
		for _, c := range in {
			line, ok, err := s.Feed(c)
			var le *LongLineError
			if err != nil && (!errors.As(err, &le) || le.Len <= max) {
				t.Fatalf("error %v", err)
			}
			if ok && (line == "" || len(line) > max || strings.ContainsAny(line, "\r\n")) {
				t.Fatalf("bad line %q", line)
			}
		}
	})
}
