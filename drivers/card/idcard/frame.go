package idcard

import (
	"bytes"
	"errors"
	"fmt"
)

// Framing (see doc.go): Preamble, Len1 Len2 (big-endian length of the
// rest of the frame, checksum included), body, CHK_SUM = XOR of Len1,
// Len2 and the body. A command body is CMD PARA DATA; a response body is
// SW1 SW2 SW3 DATA.

// Preamble starts every frame, in both directions.
const Preamble = "\xAA\xAA\xAA\x96\x69"

// MaxLen bounds the length field. The longest response, text + photo +
// fingerprint (command 0x30 0x10), is 3+2+2+2+256+1024+1024+1 = 2314
// bytes; anything above MaxLen is a corrupted length.
const MaxLen = 4096

// Commands (CMD << 8 | PARA), GA 467 / module manuals, "CMD and Para".
const (
	CmdReset         uint16 = 0x10FF // reset the SAM
	CmdSAMStatus     uint16 = 0x11FF // SAM status check
	CmdSAMID         uint16 = 0x12FF // read the SAM's management number
	CmdFindCard      uint16 = 0x2001 // find a card in the field
	CmdSelectCard    uint16 = 0x2002 // select the card found
	CmdReadTextPhoto uint16 = 0x3001 // read the fixed text and the photo
	CmdReadAppend    uint16 = 0x3003 // read the latest appended address
	CmdReadAll       uint16 = 0x3010 // read text, photo and fingerprint
)

// Errors of bad frames. Every frame error wraps ErrFrame.
var (
	ErrFrame      = errors.New("idcard: bad frame")
	ErrChecksum   = fmt.Errorf("%w: checksum mismatch", ErrFrame)
	ErrLength     = fmt.Errorf("%w: impossible length", ErrFrame)
	ErrIncomplete = errors.New("idcard: incomplete frame")
)

// EncodeCommand returns the frame of command cmd with data.
func EncodeCommand(cmd uint16, data []byte) []byte {
	return encode([]byte{byte(cmd >> 8), byte(cmd)}, data)
}

// EncodeResponse returns a module's response frame; simulators and tests
// use it.
func EncodeResponse(sw1, sw2, sw3 byte, data []byte) []byte {
	return encode([]byte{sw1, sw2, sw3}, data)
}

func encode(head, data []byte) []byte {
	n := len(head) + len(data) + 1
	b := make([]byte, 0, len(Preamble)+2+n)
	b = append(b, Preamble...)
	b = append(b, byte(n>>8), byte(n))
	b = append(b, head...)
	b = append(b, data...)
	return append(b, xor(b[len(Preamble):]))
}

func xor(b []byte) byte {
	var s byte
	for _, c := range b {
		s ^= c
	}
	return s
}

// Next finds the first frame in buf and returns its body (without length
// and checksum) and the number of bytes of buf consumed.
//
//   - A good frame: (body, n, nil); body aliases buf.
//   - More bytes needed: (nil, n, ErrIncomplete); the n bytes before a
//     possible preamble are garbage and may be dropped.
//   - A bad frame (wrong checksum, impossible length): (nil, n, err
//     wrapping ErrFrame); n skips past the first preamble byte, so the
//     next call resynchronises on a later preamble.
func Next(buf []byte) ([]byte, int, error) {
	i := bytes.Index(buf, []byte(Preamble))
	if i < 0 {
		return nil, len(buf) - partialPreamble(buf), ErrIncomplete
	}
	if len(buf) < i+len(Preamble)+2 {
		return nil, i, ErrIncomplete
	}
	lp := i + len(Preamble)
	n := int(buf[lp])<<8 | int(buf[lp+1])
	if n < 3 || n > MaxLen {
		return nil, i + 1, fmt.Errorf("%w: length %d", ErrLength, n)
	}
	end := lp + 2 + n
	if len(buf) < end {
		return nil, i, ErrIncomplete
	}
	if got, want := buf[end-1], xor(buf[lp:end-1]); got != want {
		return nil, i + 1, fmt.Errorf("%w: got %02X, computed %02X", ErrChecksum, got, want)
	}
	return buf[lp+2 : end-1], end, nil
}

// partialPreamble returns the length of the longest suffix of buf that
// is a proper prefix of Preamble.
func partialPreamble(buf []byte) int {
	for k := min(len(buf), len(Preamble)-1); k > 0; k-- {
		if bytes.Equal(buf[len(buf)-k:], []byte(Preamble[:k])) {
			return k
		}
	}
	return 0
}

// Response is a module's answer.
type Response struct {
	SW1, SW2, SW3 byte
	Data          []byte
}

// ParseResponse splits a response body returned by Next.
func ParseResponse(body []byte) (Response, error) {
	if len(body) < 3 {
		return Response{}, fmt.Errorf("%w: response of %d bytes has no SW1 SW2 SW3", ErrLength, len(body))
	}
	return Response{SW1: body[0], SW2: body[1], SW3: body[2], Data: body[3:]}, nil
}

// Err returns nil for the success codes 0x90 and 0x9F, and a *StatusError
// otherwise.
func (r Response) Err() error {
	if r.SW3 == StatusOK || r.SW3 == StatusFound {
		return nil
	}
	return &StatusError{SW1: r.SW1, SW2: r.SW2, SW3: r.SW3}
}

// Command is a host's request, as a module sees it.
type Command struct {
	Cmd  uint16 // CMD << 8 | PARA
	Data []byte
}

// ParseCommand splits a command body returned by Next; simulators and
// tests use it to play the module.
func ParseCommand(body []byte) (Command, error) {
	if len(body) < 2 {
		return Command{}, fmt.Errorf("%w: command of %d bytes has no CMD PARA", ErrLength, len(body))
	}
	return Command{Cmd: uint16(body[0])<<8 | uint16(body[1]), Data: body[2:]}, nil
}

// SW3 status codes of the SAM (GA 467 and the module manuals' "SW1 SW2
// SW3" table). SW1 SW2 are 00 00 except where the module forwards the
// card's APDU status.
const (
	StatusOK             byte = 0x90 // operation succeeded
	StatusNoContent      byte = 0x91 // the card has no content for this item
	StatusFound          byte = 0x9F // find card succeeded
	StatusChecksum       byte = 0x10 // the module got a frame with a bad checksum
	StatusLength         byte = 0x11 // the module got a frame with a bad length
	StatusCommand        byte = 0x21 // unknown command or bad parameters
	StatusUnauthorizedOp byte = 0x23 // operation not permitted (越权操作)
	StatusUnrecognised   byte = 0x24 // unrecognised error
	StatusCardAuth       byte = 0x31 // the card failed to authenticate the reader
	StatusReaderAuth     byte = 0x32 // the reader failed to authenticate the card
	StatusVerify         byte = 0x33 // information verification error
	StatusFingerprint    byte = 0x37 // fingerprint information verification error
	StatusInfoLength     byte = 0x3F // information length error
	StatusWrongCard      byte = 0x40 // not a resident ID card
	StatusReadFailed     byte = 0x41 // reading the card failed
	StatusRandom         byte = 0x47 // getting a random number failed
	StatusSelfTest       byte = 0x60 // SAM self-test failed; it accepts no command
	StatusNotAuthorised  byte = 0x66 // SAM not authorised, cannot be used
	StatusNoCard         byte = 0x80 // find card failed: no card in the field
	StatusSelectFailed   byte = 0x81 // select card failed
)

func statusText(sw3 byte) string {
	switch sw3 {
	case StatusOK:
		return "success"
	case StatusNoContent:
		return "no content on the card for this item"
	case StatusFound:
		return "card found"
	case StatusChecksum:
		return "module received a bad checksum"
	case StatusLength:
		return "module received a bad length"
	case StatusCommand:
		return "unknown command or bad parameters"
	case StatusUnauthorizedOp:
		return "operation not permitted"
	case StatusUnrecognised:
		return "unrecognised error"
	case StatusCardAuth:
		return "card failed to authenticate the reader"
	case StatusReaderAuth:
		return "reader failed to authenticate the card"
	case StatusVerify:
		return "information verification error"
	case StatusFingerprint:
		return "fingerprint verification error"
	case StatusInfoLength:
		return "information length error"
	case StatusWrongCard:
		return "not a resident ID card"
	case StatusReadFailed:
		return "reading the card failed"
	case StatusRandom:
		return "getting a random number failed"
	case StatusSelfTest:
		return "SAM self-test failed"
	case StatusNotAuthorised:
		return "SAM not authorised"
	case StatusNoCard:
		return "no card in the field"
	case StatusSelectFailed:
		return "select card failed"
	}
	return "unknown status"
}

// StatusError is a module's answer with an error status.
type StatusError struct {
	SW1, SW2, SW3 byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("idcard: SAM status %02X %02X %02X: %s", e.SW1, e.SW2, e.SW3, statusText(e.SW3))
}

// Is reports whether target is a *StatusError with the same SW3, so that
// errors.Is(err, idcard.ErrNoCard) works whatever SW1 SW2 are.
func (e *StatusError) Is(target error) bool {
	t, ok := target.(*StatusError)
	return ok && t.SW3 == e.SW3
}

// Status errors to test with errors.Is.
var (
	ErrNoCard       error = &StatusError{SW3: StatusNoCard}
	ErrSelectFailed error = &StatusError{SW3: StatusSelectFailed}
	ErrReadFailed   error = &StatusError{SW3: StatusReadFailed}
)
