package uidline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/eldergate/eldergate/drivers/card"
)

// MaxLine is the longest line accepted, terminator excluded.
const MaxLine = 64

// ErrLine is wrapped by every error about a rejected line.
var ErrLine = errors.New("uidline: bad line")

// LineScanner splits the reader's byte stream into lines ended by CR, LF
// or CR LF, one byte at a time. Empty lines are skipped (so CR LF makes
// one line). A line longer than MaxLine is reported once and the rest of
// it discarded up to its terminator. The zero value is ready.
type LineScanner struct {
	buf      []byte
	tooLong  bool
	overflow int
}

// Feed adds one byte. It returns a line when c ends a non-empty one, or
// an error when c ends an over-long one.
func (s *LineScanner) Feed(c byte) (string, bool, error) {
	if c == '\r' || c == '\n' {
		if s.tooLong {
			n := s.overflow
			s.buf, s.tooLong, s.overflow = s.buf[:0], false, 0
			return "", false, fmt.Errorf("%w: %d bytes, longer than %d", ErrLine, n, MaxLine)
		}
		if len(s.buf) == 0 {
			return "", false, nil
		}
		line := string(s.buf)
		s.buf = s.buf[:0]
		return line, true, nil
	}
	if s.tooLong {
		s.overflow++
		return "", false, nil
	}
	if len(s.buf) == MaxLine {
		s.tooLong, s.overflow = true, len(s.buf)+1
		return "", false, nil
	}
	s.buf = append(s.buf, c)
	return "", false, nil
}

// Parser turns one line into a canonical credential.
type Parser struct {
	Format card.Format // how the reader prints the card
	Prefix string      // required prefix, stripped (after trimming)
	Suffix string      // required suffix, stripped (after trimming)
}

// Parse trims white space and control characters (some readers wrap the
// line in STX/ETX) from both ends, strips Prefix and Suffix, and
// normalises the rest with Format.
func (p Parser) Parse(line string) (string, error) {
	s := strings.TrimFunc(line, func(r rune) bool { return r <= ' ' || r == 0x7F })
	shown := s
	if len(shown) > 32 {
		shown = shown[:32] + "..."
	}
	if p.Format.Input == card.InputID {
		shown = "(ID number line)" // personal data stays out of errors and logs
	}
	if p.Prefix != "" {
		if !strings.HasPrefix(s, p.Prefix) {
			return "", fmt.Errorf("%w: %q lacks the prefix %q", ErrLine, shown, p.Prefix)
		}
		s = s[len(p.Prefix):]
	}
	if p.Suffix != "" {
		if !strings.HasSuffix(s, p.Suffix) {
			return "", fmt.Errorf("%w: %q lacks the suffix %q", ErrLine, shown, p.Suffix)
		}
		s = s[:len(s)-len(p.Suffix)]
	}
	if s == "" {
		return "", fmt.Errorf("%w: %q has no card number", ErrLine, shown)
	}
	cred, err := p.Format.Normalize(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrLine, err)
	}
	return cred, nil
}
