package serialport

import (
	"bufio"
	"fmt"
	"io"
)

// LineScanner splits a serial byte stream into lines ended by CR, LF or
// CR LF, one byte at a time, for the drivers of devices that print lines
// (card readers, tills). Empty lines are skipped, so CR LF makes one
// line. A line longer than Max bytes (terminator excluded) is reported
// once, at its terminator, as a *LongLineError, and discarded. Max must be
// above zero.
type LineScanner struct {
	Max  int
	buf  []byte
	over int // bytes of the over-long line so far; 0 when not over-long
}

// LongLineError is a line longer than the scanner's Max, discarded.
type LongLineError struct {
	Len, Max int
}

func (e *LongLineError) Error() string {
	return fmt.Sprintf("line of %d bytes, longer than %d", e.Len, e.Max)
}

// Feed adds one byte. It returns a line when c ends a non-empty one, or
// a *LongLineError when c ends an over-long one.
func (s *LineScanner) Feed(c byte) (string, bool, error) {
	if c == '\r' || c == '\n' {
		if s.over > 0 {
			n := s.over
			s.buf, s.over = s.buf[:0], 0
			return "", false, &LongLineError{Len: n, Max: s.Max}
		}
		if len(s.buf) == 0 {
			return "", false, nil
		}
		line := string(s.buf)
		s.buf = s.buf[:0]
		return line, true, nil
	}
	if s.over > 0 {
		s.over++
		return "", false, nil
	}
	if len(s.buf) >= s.Max {
		s.over = len(s.buf) + 1
		s.buf = s.buf[:0]
		return "", false, nil
	}
	s.buf = append(s.buf, c)
	return "", false, nil
}

// ReadLines reads r through a LineScanner of max and calls fn with each
// line, or with the *LongLineError of an over-long one, until reading
// fails (that error is returned) or fn returns an error (returned too).
func ReadLines(r io.Reader, max int, fn func(line string, err error) error) error {
	br := bufio.NewReader(r)
	sc := LineScanner{Max: max}
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		line, ok, err := sc.Feed(c)
		if err == nil && !ok {
			continue
		}
		if err := fn(line, err); err != nil {
			return err
		}
	}
}
