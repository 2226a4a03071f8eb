package mfrc522

import (
	"errors"
	"fmt"
)

// ISO/IEC 14443-3 type A commands and values used to read a UID.
const (
	cmdREQA     = 0x26 // request, 7 bits; answered by ATQA (2 bytes)
	nvbAnticoll = 0x20 // NVB of ANTICOLLISION: 2 bytes sent, no UID bits
	nvbSelect   = 0x70 // NVB of SELECT: 7 bytes sent (SEL, NVB, 4 UID bytes, BCC)
	cascadeTag  = 0x88 // CT: first byte of a cascade level that is not the last
	sakCascade  = 0x04 // SAK bit 3: UID not complete, go to the next cascade level
)

// The select codes of the three cascade levels (4-, 7- and 10-byte UIDs).
var selectCodes = [3]byte{0x93, 0x95, 0x97}

// ErrFrame is wrapped by every error about a malformed card answer.
var ErrFrame = errors.New("mfrc522: malformed card answer")

// CRCA returns the CRC_A of data (ISO/IEC 14443-3, Annex B: polynomial
// x^16 + x^12 + x^5 + 1, initial value 0x6363, sent low byte first).
func CRCA(data []byte) uint16 {
	crc := uint16(0x6363)
	for _, b := range data {
		ch := b ^ byte(crc)
		ch ^= ch << 4
		crc = crc>>8 ^ uint16(ch)<<8 ^ uint16(ch)<<3 ^ uint16(ch)>>4
	}
	return crc
}

// appendCRCA appends the CRC_A of b to b, low byte first.
func appendCRCA(b []byte) []byte {
	c := CRCA(b)
	return append(b, byte(c), byte(c>>8))
}

// ParseAnticollision checks the answer to ANTICOLLISION at one cascade
// level: 4 UID bytes (or CT and 3 UID bytes) and BCC, the XOR of the 4
// bytes (ISO/IEC 14443-3, type A anticollision). It returns the 5 bytes.
func ParseAnticollision(resp []byte) ([]byte, error) {
	if len(resp) != 5 {
		return nil, fmt.Errorf("%w: anticollision answer of %d bytes, want 5 (collision, parity or CRC error?)", ErrFrame, len(resp))
	}
	if bcc := resp[0] ^ resp[1] ^ resp[2] ^ resp[3]; bcc != resp[4] {
		return nil, fmt.Errorf("%w: anticollision BCC %#02x, want %#02x", ErrFrame, resp[4], bcc)
	}
	return resp[:5:5], nil
}

// SelectFrame returns the SELECT command for cascade level sel (0x93,
// 0x95 or 0x97) and the 5 bytes answered to ANTICOLLISION, with its CRC_A.
func SelectFrame(sel byte, uidBCC []byte) []byte {
	f := append([]byte{sel, nvbSelect}, uidBCC...)
	return appendCRCA(f)
}

// ParseSAK checks the answer to SELECT: SAK and its CRC_A, 24 bits
// (ISO/IEC 14443-3, type A select). It returns SAK.
func ParseSAK(resp []byte, bits int) (byte, error) {
	if len(resp) != 3 || bits != 24 {
		return 0, fmt.Errorf("%w: SAK answer of %d bytes (%d bits), want 3 (24 bits)", ErrFrame, len(resp), bits)
	}
	if c := CRCA(resp[:1]); resp[1] != byte(c) || resp[2] != byte(c>>8) {
		return 0, fmt.Errorf("%w: SAK CRC_A %02X%02X, want %02X%02X", ErrFrame, resp[1], resp[2], byte(c), byte(c>>8))
	}
	return resp[0], nil
}

// cascade accumulates the UID over the cascade levels.
type cascade struct {
	uid []byte
}

// add records one level: the 5 anticollision bytes and the SAK. It
// reports whether the UID is complete. A level whose SAK asks for more
// must start with CT; a last level must not.
func (c *cascade) add(level int, uidBCC []byte, sak byte) (bool, error) {
	more := sak&sakCascade != 0
	switch {
	case more && uidBCC[0] != cascadeTag:
		return false, fmt.Errorf("%w: SAK %#02x says the UID goes on, but cascade level %d has no cascade tag", ErrFrame, sak, level+1)
	case !more && uidBCC[0] == cascadeTag:
		return false, fmt.Errorf("%w: cascade level %d starts with the cascade tag but SAK %#02x says the UID is complete", ErrFrame, level+1, sak)
	case more && level == len(selectCodes)-1:
		return false, fmt.Errorf("%w: UID longer than 10 bytes", ErrFrame)
	}
	if more {
		c.uid = append(c.uid, uidBCC[1:4]...)
		return false, nil
	}
	c.uid = append(c.uid, uidBCC[:4]...)
	return true, nil
}
