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

// longLine is the error of a line longer than MaxLine
// (serialport.LongLineError), as an ErrLine.
func longLine(err error) error { return fmt.Errorf("%w: %v", ErrLine, err) }

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
