package rdm6300

import (
	"errors"
	"fmt"
)

// Frame bytes.
const (
	STX      = 0x02 // start of a frame
	ETX      = 0x03 // end of a frame
	FrameLen = 14   // STX, 10 data chars, 2 checksum chars, ETX
)

// Errors of bad frames. Every frame error wraps ErrFrame.
var (
	ErrFrame    = errors.New("rdm6300: bad frame")
	ErrChecksum = fmt.Errorf("%w: checksum mismatch", ErrFrame)
)

// Frame is one decoded frame.
type Frame struct {
	Version byte    // version / customer byte of the EM4100 ID
	Card    [4]byte // card bytes, most significant first
}

// ID returns the 5 bytes of the EM4100 ID: version then card.
func (f Frame) ID() [5]byte {
	return [5]byte{f.Version, f.Card[0], f.Card[1], f.Card[2], f.Card[3]}
}

// Decode decodes one complete frame of FrameLen bytes.
func Decode(b []byte) (Frame, error) {
	if len(b) != FrameLen {
		return Frame{}, fmt.Errorf("%w: %d bytes, want %d", ErrFrame, len(b), FrameLen)
	}
	if b[0] != STX {
		return Frame{}, fmt.Errorf("%w: starts with %#02x, want STX", ErrFrame, b[0])
	}
	if b[FrameLen-1] != ETX {
		return Frame{}, fmt.Errorf("%w: ends with %#02x, want ETX", ErrFrame, b[FrameLen-1])
	}
	var v [6]byte // 5 data bytes and the checksum
	for i := range v {
		hi, ok1 := unhex(b[1+2*i])
		lo, ok2 := unhex(b[2+2*i])
		if !ok1 || !ok2 {
			return Frame{}, fmt.Errorf("%w: non-hex character at byte %d", ErrFrame, 1+2*i)
		}
		v[i] = hi<<4 | lo
	}
	sum := v[0] ^ v[1] ^ v[2] ^ v[3] ^ v[4]
	if sum != v[5] {
		return Frame{}, fmt.Errorf("%w: got %02X, computed %02X", ErrChecksum, v[5], sum)
	}
	return Frame{Version: v[0], Card: [4]byte{v[1], v[2], v[3], v[4]}}, nil
}

// Encode returns the frame of f, as the module sends it (upper-case hex).
func Encode(f Frame) []byte {
	const digits = "0123456789ABCDEF"
	id := f.ID()
	sum := id[0] ^ id[1] ^ id[2] ^ id[3] ^ id[4]
	b := make([]byte, 0, FrameLen)
	b = append(b, STX)
	for _, c := range append(id[:], sum) {
		b = append(b, digits[c>>4], digits[c&0x0F])
	}
	return append(b, ETX)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Scanner finds frames in the module's byte stream, one byte at a time.
// Bytes outside frames are skipped (counted in Skipped); a frame cut
// short by a new STX or an early ETX is reported as an error and the
// scanner resynchronises on the next STX. The zero value is ready.
type Scanner struct {
	buf     [FrameLen]byte
	n       int // bytes of the current frame in buf; 0 outside a frame
	Skipped int // bytes seen outside frames
}

// Feed adds one byte. It returns a frame when c completes a good one, or
// an error when c ends a bad one; otherwise (Frame{}, false, nil).
func (s *Scanner) Feed(c byte) (Frame, bool, error) {
	if s.n == 0 {
		if c == STX {
			s.buf[0], s.n = c, 1
		} else {
			s.Skipped++
		}
		return Frame{}, false, nil
	}
	if c == STX {
		n := s.n
		s.buf[0], s.n = c, 1
		return Frame{}, false, fmt.Errorf("%w: truncated after %d bytes (new STX)", ErrFrame, n)
	}
	s.buf[s.n] = c
	s.n++
	if c == ETX && s.n < FrameLen {
		n := s.n
		s.n = 0
		return Frame{}, false, fmt.Errorf("%w: ETX after %d bytes, want %d", ErrFrame, n, FrameLen)
	}
	if s.n < FrameLen {
		return Frame{}, false, nil
	}
	s.n = 0
	f, err := Decode(s.buf[:])
	if err != nil {
		return Frame{}, false, err
	}
	return f, true, nil
}
