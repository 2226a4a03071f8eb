package wiegand

import (
	"errors"
	"fmt"
)

// Frame is one decoded Wiegand frame.
type Frame struct {
	Bits int // 26 or 34
	// Data holds the data bits without the two parity bits, first
	// transmitted bit most significant: 24 bits for Wiegand 26, 32 bits
	// for Wiegand 34.
	Data uint32
	// Facility is the facility (site) code: the high 8 data bits of a
	// Wiegand 26 frame, the high 16 data bits of a Wiegand 34 frame.
	Facility uint32
	// Card is the card number: the low 16 data bits.
	Card uint32
}

// Hex returns the data bits as upper-case hex: 6 digits for Wiegand 26,
// 8 for Wiegand 34 (e.g. "7BB26E" for facility 123, card 45678).
func (f Frame) Hex() string {
	return fmt.Sprintf("%0*X", f.dataBits()/4, f.Data)
}

// String formats the frame as "W26 123,45678".
func (f Frame) String() string {
	return fmt.Sprintf("W%d %d,%d", f.Bits, f.Facility, f.Card)
}

func (f Frame) dataBits() int { return f.Bits - 2 }

// The errors Decode wraps.
var (
	// ErrLength: the frame is neither 26 nor 34 bits long (noise on a
	// line, a lost or extra pulse, an unsupported format).
	ErrLength = errors.New("wiegand: frame length is not 26 or 34 bits")
	// ErrParity: one of the two parity bits is wrong.
	ErrParity = errors.New("wiegand: parity error")
)

// Decode decodes the bits of one frame, first received bit first (a
// pulse on D1 is true, a pulse on D0 false).
//
// Both formats carry a leading even parity bit over the first half of
// the frame and a trailing odd parity bit over the second half (HID
// "Understanding Card Data Formats", formats H10301 and H10306):
//
//	Wiegand 26: P FFFFFFFF CCCCCCCCCCCCCCCC P
//	  bit 1 even parity over bits 1-13, bit 26 odd parity over bits 14-26
//	  8-bit facility code, 16-bit card number
//	Wiegand 34: P FFFFFFFFFFFFFFFF CCCCCCCCCCCCCCCC P
//	  bit 1 even parity over bits 1-17, bit 34 odd parity over bits 18-34
//	  16-bit facility code, 16-bit card number
//
// Both parity bits are checked; a frame of another length or with a
// parity error returns an error wrapping ErrLength or ErrParity and no
// data.
func Decode(bits []bool) (Frame, error) {
	n := len(bits)
	if n != 26 && n != 34 {
		return Frame{}, fmt.Errorf("%w: got %d bits", ErrLength, n)
	}
	half := n / 2
	if ones(bits[:half])%2 != 0 {
		return Frame{}, fmt.Errorf("%w: leading even parity over bits 1-%d fails", ErrParity, half)
	}
	if ones(bits[half:])%2 != 1 {
		return Frame{}, fmt.Errorf("%w: trailing odd parity over bits %d-%d fails", ErrParity, half+1, n)
	}
	var data uint32
	for _, b := range bits[1 : n-1] {
		data <<= 1
		if b {
			data |= 1
		}
	}
	f := Frame{Bits: n, Data: data, Card: data & 0xFFFF, Facility: data >> 16}
	return f, nil
}

// Encode returns the frame of n bits (26 or 34) carrying data, with its
// parity bits: the inverse of Decode. For Wiegand 26 data must fit in 24
// bits. Useful for tests and simulators.
func Encode(n int, data uint32) ([]bool, error) {
	switch n {
	case 26:
		if data > 0xFFFFFF {
			return nil, fmt.Errorf("wiegand: data %#x does not fit in 24 bits", data)
		}
	case 34:
	default:
		return nil, fmt.Errorf("%w: cannot encode %d bits", ErrLength, n)
	}
	bits := make([]bool, n)
	for i := 0; i < n-2; i++ {
		bits[n-2-i] = data>>i&1 == 1
	}
	half := n / 2
	bits[0] = ones(bits[1:half])%2 == 1     // make the first half even
	bits[n-1] = ones(bits[half:n-1])%2 == 0 // make the second half odd
	return bits, nil
}

// EncodeFacilityCard returns the frame of n bits (26 or 34) for a
// facility code and card number.
func EncodeFacilityCard(n int, facility, cardNumber uint32) ([]bool, error) {
	limit := uint32(0xFF)
	if n == 34 {
		limit = 0xFFFF
	}
	if facility > limit || cardNumber > 0xFFFF {
		return nil, fmt.Errorf("wiegand: facility %d or card %d out of range for %d bits", facility, cardNumber, n)
	}
	return Encode(n, facility<<16|cardNumber)
}

func ones(bits []bool) int {
	n := 0
	for _, b := range bits {
		if b {
			n++
		}
	}
	return n
}
