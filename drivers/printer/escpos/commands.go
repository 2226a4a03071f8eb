package escpos

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Control codes (ESC/POS Command Reference, "Command notation").
const (
	LF  = 0x0A
	DLE = 0x10
	EOT = 0x04
	ESC = 0x1B
	FS  = 0x1C
	GS  = 0x1D
)

// Alignment for ESC a n.
type Alignment byte

// The alignments.
const (
	Left   Alignment = 0
	Center Alignment = 1
	Right  Alignment = 2
)

// Builder accumulates ESC/POS commands and text encoded in GB18030. The
// zero value is ready to use. Text is cleaned of control characters, so
// text from a roster or configuration can never inject a command.
type Builder struct {
	b []byte
}

// Bytes returns the commands so far.
func (b *Builder) Bytes() []byte { return b.b }

// Init is ESC @: clear the print buffer and reset the modes to their
// power-on defaults.
func (b *Builder) Init() *Builder { b.b = append(b.b, ESC, '@'); return b }

// Chinese is FS & (select Kanji/Chinese character mode) when on, FS .
// (cancel it) when off. Chinese-market printers decode two-byte GB codes
// only in this mode; most start in it, but ESC @ does not set it back on
// every model, so a ticket selects it after ESC @.
func (b *Builder) Chinese(on bool) *Builder {
	if on {
		b.b = append(b.b, FS, '&')
	} else {
		b.b = append(b.b, FS, '.')
	}
	return b
}

// Align is ESC a n.
func (b *Builder) Align(a Alignment) *Builder { b.b = append(b.b, ESC, 'a', byte(a)); return b }

// Bold is ESC E n (emphasized mode).
func (b *Builder) Bold(on bool) *Builder { b.b = append(b.b, ESC, 'E', boolByte(on)); return b }

// Size is GS ! n: character width and height multipliers, 1 to 8 each
// (n = (w-1)<<4 | (h-1)). It applies to Chinese characters as well.
func (b *Builder) Size(w, h int) *Builder {
	w, h = min(max(w, 1), 8), min(max(h, 1), 8)
	b.b = append(b.b, GS, '!', byte((w-1)<<4|(h-1)))
	return b
}

// Font is ESC M n: 0 selects font A (12x24), 1 font B (9x17, more
// characters per line; ASCII only on most Chinese printers).
func (b *Builder) Font(n byte) *Builder { b.b = append(b.b, ESC, 'M', n&1); return b }

// Text appends s encoded in GB18030, without a line feed.
func (b *Builder) Text(s string) *Builder { b.b = append(b.b, encode(s)...); return b }

// Line appends s and LF.
func (b *Builder) Line(s string) *Builder { b.Text(s); b.b = append(b.b, LF); return b }

// Feed is ESC d n: print the buffer and feed n lines.
func (b *Builder) Feed(n int) *Builder {
	b.b = append(b.b, ESC, 'd', byte(min(max(n, 0), 255)))
	return b
}

// Cut is GS V 66 0: feed the paper to the cutting position and cut,
// leaving one point uncut (function B, partial cut). Printers without a
// cutter ignore it.
func (b *Builder) Cut() *Builder { b.b = append(b.b, GS, 'V', 66, 0); return b }

func boolByte(on bool) byte {
	if on {
		return 1
	}
	return 0
}

// Clean returns s without control characters (C0, DEL, C1): tabs and
// line breaks become spaces, invalid UTF-8 becomes '?'.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0):
			return -1
		}
		return r
	}, s)
}

// encode cleans s and encodes it in GB18030. GB18030 maps every Unicode
// code point, so nothing is lost in the encoding; a printer whose font
// lacks a character prints its own placeholder.
func encode(s string) []byte {
	s = Clean(s)
	enc := simplifiedchinese.GB18030.NewEncoder()
	if out, err := enc.Bytes([]byte(s)); err == nil {
		return out
	}
	var out []byte
	for _, r := range s { // not expected: encode rune by rune, '?' for failures
		e, err := enc.Bytes(utf8.AppendRune(nil, r))
		if err != nil {
			e = []byte{'?'}
		}
		out = append(out, e...)
	}
	return out
}

// Width is the number of half-width columns s takes on a Chinese-market
// printer: 1 for ASCII, 2 for anything else (they print every two- or
// four-byte GB character from their 24x24 full-width font).
func Width(s string) int {
	n := 0
	for _, r := range Clean(s) {
		if r < 0x80 {
			n++
		} else {
			n += 2
		}
	}
	return n
}
