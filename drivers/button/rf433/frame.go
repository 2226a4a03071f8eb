package rf433

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Code is a received 24-bit remote code. For EV1527 transmitters it is
// the 20-bit address (unique per pendant, burnt in at the factory)
// followed by the 4 data bits (which key). For PT2262-style transmitters
// the decoder boards report the 24 bits of the tri-state word the same
// way; the split into address and key then has no meaning of its own.
type Code uint32

// MaxCode is the largest 24-bit code.
const MaxCode Code = 0xFFFFFF

// String returns the canonical form: six upper-case hex digits, "A1B2C3".
func (c Code) String() string { return fmt.Sprintf("%06X", uint32(c)) }

// Address returns the 20-bit EV1527 address.
func (c Code) Address() uint32 { return uint32(c) >> 4 }

// Key returns the 4 EV1527 data bits.
func (c Code) Key() uint8 { return uint8(c & 0xF) }

// ParseCode parses six hex digits ("A1B2C3", case-insensitive).
func ParseCode(s string) (Code, error) {
	s = strings.TrimSpace(s)
	if len(s) != 6 || !isHex(s) {
		return 0, fmt.Errorf("rf433: code %q is not six hex digits", s)
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("rf433: code %q: %w", s, err)
	}
	return Code(v), nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Format is the framing a receiver board uses on its serial line.
type Format string

// The supported framings.
const (
	// FormatFD is the binary framing FD <code:3> DF (0xFD start byte, the
	// 24-bit code big-endian, 0xDF end byte).
	FormatFD Format = "fd"
	// FormatFD6 is FD <code:3> <x> DF, for boards that add one byte (the
	// listings speak of the transmitter's oscillator parameter) before
	// DF; x is ignored.
	FormatFD6 Format = "fd6"
	// FormatASCII is one text line per code: an optional tag of letters
	// and a colon ("RX:", "LC:"), six hex digits, CR LF.
	FormatASCII Format = "ascii"
)

// ParseFormat parses "fd" or "ascii".
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatFD, FormatFD6, FormatASCII:
		return f, nil
	case "":
		return FormatFD, nil
	}
	return "", fmt.Errorf("rf433: unknown format %q (want fd, fd6 or ascii)", s)
}

// Frame bytes of FormatFD.
const (
	frameStart = 0xFD
	frameEnd   = 0xDF
	frameLen   = 5 // FD c c c DF
	frameLenX  = 6 // FD c c c x DF
	maxLine    = 64
)

// Decoding errors; every error a Decoder reports wraps one of these.
var (
	ErrGarbage   = errors.New("rf433: bytes outside a frame")
	ErrBadEnd    = errors.New("rf433: frame has a wrong end byte")
	ErrTruncated = errors.New("rf433: truncated frame")
	ErrBadLine   = errors.New("rf433: malformed line")
)

// ParseFrame decodes one complete FormatFD frame FD c1 c2 c3 DF, or a
// FormatFD6 frame FD c1 c2 c3 x DF.
func ParseFrame(b []byte) (Code, error) {
	switch {
	case len(b) < frameLen:
		return 0, fmt.Errorf("%w: % X is %d bytes, want 5 or 6", ErrTruncated, b, len(b))
	case len(b) > frameLenX:
		return 0, fmt.Errorf("%w: % X is %d bytes, want 5 or 6", ErrBadEnd, b, len(b))
	case b[0] != frameStart:
		return 0, fmt.Errorf("%w: % X does not start with FD", ErrGarbage, b)
	case b[len(b)-1] != frameEnd:
		return 0, fmt.Errorf("%w: % X ends with %02X, want DF", ErrBadEnd, b, b[len(b)-1])
	}
	return Code(b[1])<<16 | Code(b[2])<<8 | Code(b[3]), nil
}

// ParseLine decodes one FormatASCII line without its line end: "RX:A1B2C3",
// "LC:a1b2c3", " LC: A1B2C3 " or a bare "A1B2C3". The tag, when present,
// is 1 to 4 ASCII letters; any tag is accepted since boards differ.
func ParseLine(line string) (Code, error) {
	s := strings.Trim(line, " \t")
	if tag, rest, ok := strings.Cut(s, ":"); ok {
		tag = strings.Trim(tag, " \t")
		if len(tag) < 1 || len(tag) > 4 || !isLetters(tag) {
			return 0, fmt.Errorf("%w: %q has no letter tag before ':'", ErrBadLine, clip(line))
		}
		s = strings.Trim(rest, " \t")
	}
	if len(s) != 6 || !isHex(s) {
		return 0, fmt.Errorf("%w: %q does not end in six hex digits", ErrBadLine, clip(line))
	}
	c, _ := ParseCode(s)
	return c, nil
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func clip(s string) string {
	if len(s) > maxLine {
		return s[:maxLine] + "..."
	}
	return s
}

// Result is one thing a Decoder found in the stream: a code, or an error
// for bytes it skipped.
type Result struct {
	Code Code
	Err  error
}

// Decoder splits a serial byte stream into codes. It is pure (no I/O, the
// time of arrival is passed in), keeps at most one partial frame or line,
// and resynchronises on the next good frame after bad input.
type Decoder struct {
	format Format
	n      int // frame length of the binary formats
	gap    time.Duration
	buf    []byte
	last   time.Time
	skip   bool // FormatASCII: discarding the rest of an over-long line
}

// NewDecoder returns a decoder for format f. A partial frame or line
// still waiting for bytes when more than gap passes before the next bytes
// is reported as truncated and dropped (boards send a frame in one burst;
// 0 disables the check).
func NewDecoder(f Format, gap time.Duration) (*Decoder, error) {
	d := &Decoder{format: f, gap: gap}
	switch f {
	case FormatFD:
		d.n = frameLen
	case FormatFD6:
		d.n = frameLenX
	case FormatASCII:
	default:
		return nil, fmt.Errorf("rf433: unknown format %q", f)
	}
	return d, nil
}

// Feed adds bytes that arrived at time at and returns what they complete,
// in stream order.
func (d *Decoder) Feed(p []byte, at time.Time) []Result {
	var out []Result
	if d.gap > 0 && !d.last.IsZero() && at.Sub(d.last) > d.gap && (len(d.buf) > 0 || d.skip) {
		if len(d.buf) > 0 {
			out = append(out, Result{Err: fmt.Errorf("%w: % X then nothing for %v", ErrTruncated, d.buf, at.Sub(d.last).Round(time.Millisecond))})
		}
		d.buf, d.skip = d.buf[:0], false
	}
	d.last = at
	if d.format == FormatASCII {
		return d.feedASCII(p, out)
	}
	return d.feedFD(p, out)
}

func (d *Decoder) feedFD(p []byte, out []Result) []Result {
	d.buf = append(d.buf, p...)
	for len(d.buf) > 0 {
		i := bytes.IndexByte(d.buf, frameStart)
		if i < 0 {
			out = append(out, Result{Err: fmt.Errorf("%w: skipped % X", ErrGarbage, clipBytes(d.buf))})
			d.buf = d.buf[:0]
			break
		}
		if i > 0 {
			out = append(out, Result{Err: fmt.Errorf("%w: skipped % X", ErrGarbage, clipBytes(d.buf[:i]))})
			d.buf = d.buf[i:]
		}
		if len(d.buf) < d.n {
			break
		}
		if d.buf[d.n-1] == frameEnd {
			c, _ := ParseFrame(d.buf[:d.n])
			out = append(out, Result{Code: c})
			d.buf = d.buf[d.n:]
			continue
		}
		out = append(out, Result{Err: fmt.Errorf("%w: % X does not end with DF", ErrBadEnd, d.buf[:d.n])})
		d.buf = d.buf[1:] // the real start may be inside
	}
	d.buf = compact(d.buf)
	return out
}

func (d *Decoder) feedASCII(p []byte, out []Result) []Result {
	for _, b := range p {
		if b == '\r' || b == '\n' {
			if d.skip {
				d.skip = false
			} else if len(d.buf) > 0 {
				out = d.line(out)
			}
			d.buf = d.buf[:0]
			continue
		}
		if d.skip {
			continue
		}
		if len(d.buf) >= maxLine {
			out = append(out, Result{Err: fmt.Errorf("%w: line longer than %d bytes: %q", ErrBadLine, maxLine, clip(string(d.buf)))})
			d.buf, d.skip = d.buf[:0], true
			continue
		}
		d.buf = append(d.buf, b)
	}
	d.buf = compact(d.buf)
	return out
}

// line decodes d.buf, a complete non-empty line. Bytes before the tag
// (noise on the line at power-up, the tail of a cut frame) are reported
// as garbage and the frame after them is still decoded.
func (d *Decoder) line(out []Result) []Result {
	s := string(d.buf)
	if strings.Trim(s, " \t") == "" {
		return out
	}
	if colon := strings.LastIndexByte(s, ':'); colon >= 0 {
		start := colon
		for start > 0 && colon-start < 4 && isLetter(s[start-1]) {
			start--
		}
		if start > 0 && start < colon {
			out = append(out, Result{Err: fmt.Errorf("%w: skipped %q", ErrGarbage, clip(s[:start]))})
			s = s[start:]
		}
	}
	c, err := ParseLine(s)
	if err != nil {
		return append(out, Result{Err: err})
	}
	return append(out, Result{Code: c})
}

// compact keeps the backing array from creeping along with re-slicing.
func compact(b []byte) []byte {
	if cap(b) > 4*maxLine && len(b) < maxLine {
		return append([]byte(nil), b...)
	}
	return b
}

func clipBytes(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}
