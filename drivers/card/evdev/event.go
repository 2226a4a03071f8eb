package evdev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/eldergate/eldergate/drivers/card"
)

// Event types and key codes (include/uapi/linux/input-event-codes.h).
const (
	EvSyn = 0x00
	EvKey = 0x01
	EvMsc = 0x04

	KeyEnter      = 28
	KeyKPEnter    = 96
	KeyLeftShift  = 42
	KeyRightShift = 54
)

// Sizes of struct input_event.
const (
	EventSize64 = 24 // 64-bit kernels and userspace: timeval of two 8-byte longs
	EventSize32 = 16 // 32-bit userspace (armhf): timeval of two 4-byte longs
)

// NativeEventSize is the size of struct input_event for this build.
const NativeEventSize = EventSize32 + (bits.UintSize/64)*(EventSize64-EventSize32)

// MaxLen is the longest credential accepted, in characters.
const MaxLen = 32

// Event is one input event.
type Event struct {
	Time  time.Time
	Type  uint16
	Code  uint16
	Value int32
}

// ParseEvent decodes one little-endian struct input_event of 16 or 24
// bytes.
func ParseEvent(b []byte) (Event, error) {
	le := binary.LittleEndian
	switch len(b) {
	case EventSize64:
		sec, usec := int64(le.Uint64(b[0:])), int64(le.Uint64(b[8:]))
		return Event{Time: time.Unix(sec, usec*1000), Type: le.Uint16(b[16:]), Code: le.Uint16(b[18:]), Value: int32(le.Uint32(b[20:]))}, nil
	case EventSize32:
		sec, usec := int64(int32(le.Uint32(b[0:]))), int64(int32(le.Uint32(b[4:])))
		return Event{Time: time.Unix(sec, usec*1000), Type: le.Uint16(b[8:]), Code: le.Uint16(b[10:]), Value: int32(le.Uint32(b[12:]))}, nil
	}
	return Event{}, fmt.Errorf("evdev: event of %d bytes, want %d or %d", len(b), EventSize32, EventSize64)
}

// AppendEvent appends e as a little-endian struct input_event of size
// bytes (16 or 24); tests and recorders use it.
func AppendEvent(b []byte, e Event, size int) []byte {
	le := binary.LittleEndian
	sec, usec := e.Time.Unix(), int64(e.Time.Nanosecond()/1000)
	if size == EventSize32 {
		b = le.AppendUint32(b, uint32(sec))
		b = le.AppendUint32(b, uint32(usec))
	} else {
		b = le.AppendUint64(b, uint64(sec))
		b = le.AppendUint64(b, uint64(usec))
	}
	b = le.AppendUint16(b, e.Type)
	b = le.AppendUint16(b, e.Code)
	return le.AppendUint32(b, uint32(e.Value))
}

// KeyChar returns the character of a key code, if the decoder takes it.
func KeyChar(code uint16) (byte, bool) {
	switch {
	case code >= 2 && code <= 10: // KEY_1..KEY_9
		return byte('1' + code - 2), true
	}
	switch code {
	case 11, 82: // KEY_0, KEY_KP0
		return '0', true
	case 79, 80, 81: // KEY_KP1..KEY_KP3
		return byte('1' + code - 79), true
	case 75, 76, 77: // KEY_KP4..KEY_KP6
		return byte('4' + code - 75), true
	case 71, 72, 73: // KEY_KP7..KEY_KP9
		return byte('7' + code - 71), true
	case 30:
		return 'A', true
	case 48:
		return 'B', true
	case 46:
		return 'C', true
	case 32:
		return 'D', true
	case 18:
		return 'E', true
	case 33:
		return 'F', true
	case 45:
		return 'X', true
	case 51, 121: // KEY_COMMA, KEY_KPCOMMA
		return ',', true
	case 12, 74: // KEY_MINUS, KEY_KPMINUS
		return '-', true
	case 57: // KEY_SPACE
		return ' ', true
	}
	return 0, false
}

// ErrKeys is wrapped by errors about a rejected credential.
var ErrKeys = errors.New("evdev: bad key sequence")

// Decoder turns key events into credentials. The zero value reads hex
// with no gap limit.
type Decoder struct {
	Format card.Format
	// Gap drops a partial credential when the next key comes more than
	// Gap after the previous one (by event time); 0 means no limit.
	Gap time.Duration

	buf  []byte
	bad  error
	last time.Time
}

// Feed adds one event. It returns a credential when Enter ends a good
// one, or an error when Enter ends a bad one or a pause drops a partial
// one.
func (d *Decoder) Feed(e Event) (string, bool, error) {
	if e.Type != EvKey || e.Value != 1 {
		return "", false, nil
	}
	var dropped error
	if d.Gap > 0 && (len(d.buf) > 0 || d.bad != nil) && e.Time.Sub(d.last) > d.Gap {
		dropped = fmt.Errorf("%w: %d keys dropped after a pause of %v", ErrKeys, len(d.buf), e.Time.Sub(d.last))
		d.reset()
	}
	d.last = e.Time
	switch e.Code {
	case KeyLeftShift, KeyRightShift:
		return "", false, dropped
	case KeyEnter, KeyKPEnter:
		if dropped != nil {
			return "", false, dropped
		}
		bad, s := d.bad, string(d.buf)
		d.reset()
		if bad != nil {
			return "", false, bad
		}
		if s == "" {
			return "", false, nil
		}
		cred, err := d.Format.Normalize(s)
		if err != nil {
			return "", false, fmt.Errorf("%w: %w", ErrKeys, err)
		}
		return cred, true, nil
	}
	c, ok := KeyChar(e.Code)
	switch {
	case d.bad != nil:
	case !ok:
		d.bad = fmt.Errorf("%w: unexpected key code %d", ErrKeys, e.Code)
	case len(d.buf) >= MaxLen:
		d.bad = fmt.Errorf("%w: more than %d keys before Enter", ErrKeys, MaxLen)
	default:
		d.buf = append(d.buf, c)
	}
	return "", false, dropped
}

func (d *Decoder) reset() {
	d.buf, d.bad = d.buf[:0], nil
}
