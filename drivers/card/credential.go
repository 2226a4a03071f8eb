package card

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/eldergate/eldergate"
)

// Canonical credentials
//
// Every reader delivers one canonical form, so that the roster matches a
// card whichever reader read it:
//
//   - a contactless card (MIFARE, EM4100, ...): the upper-case hex of its
//     UID bytes in the order the card transmits them, UID0 first, e.g.
//     "04A1B2C3" (4 bytes) or "04112233445566" (7 bytes);
//   - a resident ID card: its 18-character ID number, check character
//     upper-case ("11010519491231002X").
//
// Readers disagree on how they print a UID, so a Format says how to read
// a reader's output: the bytes may be reversed (little-endian readers
// print UID3 UID2 UID1 UID0), or the number may be printed as a 10-digit
// decimal of the 32-bit UID ("0077705923" for 04 A1 B2 C3 read big-endian)
// or as Wiegand "facility,card" ("161,45763").

// Input says how a reader prints a credential.
type Input string

// The inputs a Format understands.
const (
	InputHex     Input = "hex"     // hex digits of the UID bytes
	InputDec10   Input = "dec10"   // decimal of the 32-bit UID, usually zero-padded to 10 digits
	InputWiegand Input = "wiegand" // "facility,card" of a Wiegand 26 or 34 frame
	InputID      Input = "id"      // 18-character resident ID number
)

// Order is the order in which a reader presents the UID bytes.
type Order string

// Byte orders.
const (
	// BigEndian readers print the bytes as the card transmits them: UID0
	// first, i.e. UID0 is the most significant byte of a printed number.
	BigEndian Order = "be"
	// LittleEndian readers print the bytes reversed: UID0 last, i.e. UID0
	// is the least significant byte of a printed number.
	LittleEndian Order = "le"
)

// Format describes a reader's output. The zero value reads big-endian hex.
type Format struct {
	Input Input // default InputHex
	Order Order // default BigEndian; ignored for InputID
	// WiegandBits is 26 (8-bit facility, 16-bit card: 3 UID bytes) or 34
	// (16-bit facility, 16-bit card: 4 UID bytes); default 34. Only used
	// by InputWiegand.
	WiegandBits int
}

// ParseFormat checks input and order as found in a configuration ("hex",
// "dec10", "wiegand" or "id"; "be" or "le"). Empty strings take the
// defaults.
func ParseFormat(input, order string) (Format, error) {
	f := Format{Input: Input(strings.ToLower(strings.TrimSpace(input))), Order: Order(strings.ToLower(strings.TrimSpace(order)))}
	if f.Input == "" {
		f.Input = InputHex
	}
	if f.Order == "" {
		f.Order = BigEndian
	}
	switch f.Input {
	case InputHex, InputDec10, InputWiegand, InputID:
	default:
		return Format{}, fmt.Errorf("card: format %q is not hex, dec10, wiegand or id", input)
	}
	if err := f.Order.check(); err != nil {
		return Format{}, err
	}
	return f, nil
}

func (o Order) check() error {
	switch o {
	case BigEndian, LittleEndian:
		return nil
	}
	return fmt.Errorf("card: byte order %q is not be or le", string(o))
}

func (f Format) withDefaults() Format {
	if f.Input == "" {
		f.Input = InputHex
	}
	if f.Order == "" {
		f.Order = BigEndian
	}
	if f.WiegandBits == 0 {
		f.WiegandBits = 34
	}
	return f
}

// ErrCredential is wrapped by every error about a malformed credential.
var ErrCredential = errors.New("card: malformed credential")

func credErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCredential}, args...)...)
}

// Normalize converts raw, as printed by a reader of format f, to the
// canonical credential. Surrounding white space is ignored.
//
//   - hex: 6, 8, 10, 14 or 20 hex digits (3, 4, 5, 7 or 10 bytes: a
//     Wiegand 26 number, a 4-byte MIFARE UID, an EM4100 ID, a 7- or
//     10-byte UID), either case, spaces, colons or dashes between bytes
//     ignored;
//   - dec10: 1 to 10 decimal digits, at most 4294967295, giving 4 bytes;
//   - wiegand: "facility,card", giving 3 bytes (26 bits) or 4 bytes (34);
//   - id: an 18-character resident ID number, checked by
//     eldergate.NormalizeResidentID (birth date, GB 11643 check
//     character); errors wrap both ErrCredential and eldergate.ErrResidentID.
func (f Format) Normalize(raw string) (string, error) {
	f = f.withDefaults()
	if err := f.Order.check(); err != nil {
		return "", err
	}
	s := strings.TrimSpace(raw)
	switch f.Input {
	case InputHex:
		b, err := parseHexUID(dropHexSeparators(s))
		if err != nil {
			return "", err
		}
		return FromUID(b, f.Order), nil
	case InputDec10:
		n, err := parseDec10(s)
		if err != nil {
			return "", err
		}
		return FromUID(beBytes(uint64(n), 4), f.Order), nil
	case InputWiegand:
		return parseWiegand(s, f.WiegandBits, f.Order)
	case InputID:
		id, err := eldergate.NormalizeResidentID(s) // the module's one rule
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrCredential, err)
		}
		return id, nil
	}
	return "", fmt.Errorf("card: format %q is not hex, dec10, wiegand or id", string(f.Input))
}

// dropHexSeparators drops spaces, colons and dashes from hex input: some
// readers print "04 A1 B2 C3" or "04:A1:B2:C3".
func dropHexSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == ':' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// FromUID returns the canonical credential of uid as a reader presents
// it in order: with LittleEndian the bytes are reversed first. uid is not
// modified.
func FromUID(uid []byte, order Order) string {
	b := append([]byte(nil), uid...)
	if order == LittleEndian {
		reverse(b)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// UID returns the bytes of a canonical hex credential (UID0 first).
func UID(canonical string) ([]byte, error) {
	return parseHexUID(canonical)
}

// Dec10 prints a canonical 4-byte credential as the 10-digit decimal
// number a reader of the given order prints: with BigEndian UID0 is the
// most significant byte ("04A1B2C3" -> "0077705923"), with LittleEndian
// the least significant ("04A1B2C3" -> "3283263748").
func Dec10(canonical string, order Order) (string, error) {
	n, err := uidNumber(canonical, order, 4)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%010d", n), nil
}

// Wiegand prints a canonical credential as Wiegand "facility,card".
// bits is 26 or 34. For 34 the credential must have 4 bytes and the
// facility is the high 16 bits ("%05d,%05d"). For 26 the credential has 3
// or 4 bytes; of a 4-byte credential only the low 24 bits of the number
// (in order) are kept, as a Wiegand 26 reader does, and the facility is
// 8 bits ("%03d,%05d").
func Wiegand(canonical string, order Order, bits int) (string, error) {
	b, err := parseHexUID(canonical)
	if err != nil {
		return "", err
	}
	if err := order.check(); err != nil {
		return "", err
	}
	if order == LittleEndian {
		reverse(b)
	}
	n := beUint(b)
	switch bits {
	case 26:
		if len(b) != 3 && len(b) != 4 {
			return "", credErr("wiegand 26 needs a 3- or 4-byte UID, got %d bytes", len(b))
		}
		n &= 0xFFFFFF
		return fmt.Sprintf("%03d,%05d", n>>16, n&0xFFFF), nil
	case 34:
		if len(b) != 4 {
			return "", credErr("wiegand 34 needs a 4-byte UID, got %d bytes", len(b))
		}
		return fmt.Sprintf("%05d,%05d", n>>16, n&0xFFFF), nil
	}
	return "", fmt.Errorf("card: wiegand bits %d is not 26 or 34", bits)
}

// FromWiegand returns the canonical credential of the data bits of a
// Wiegand frame (parity bits removed): 24 bits for Wiegand 26, 32 bits
// for Wiegand 34, facility in the high bits. order says how the reader
// maps UID bytes to the frame (BigEndian: UID0 first).
func FromWiegand(data uint32, bits int, order Order) (string, error) {
	switch bits {
	case 26:
		if data > 0xFFFFFF {
			return "", credErr("wiegand 26 data %#x has more than 24 bits", data)
		}
		return FromUID(beBytes(uint64(data), 3), order), nil
	case 34:
		return FromUID(beBytes(uint64(data), 4), order), nil
	}
	return "", fmt.Errorf("card: wiegand bits %d is not 26 or 34", bits)
}

func parseWiegand(s string, bits int, order Order) (string, error) {
	fs, cs, ok := strings.Cut(s, ",")
	if !ok {
		return "", credErr("wiegand %q is not facility,card", s)
	}
	fs, cs = strings.TrimSpace(fs), strings.TrimSpace(cs)
	fac, err := parseDigits(fs, 5)
	if err != nil {
		return "", credErr("wiegand facility %q: %v", fs, err)
	}
	num, err := parseDigits(cs, 5)
	if err != nil {
		return "", credErr("wiegand card %q: %v", cs, err)
	}
	if num > 0xFFFF {
		return "", credErr("wiegand card number %d is above 65535", num)
	}
	switch bits {
	case 26:
		if fac > 0xFF {
			return "", credErr("wiegand 26 facility %d is above 255", fac)
		}
	case 34:
		if fac > 0xFFFF {
			return "", credErr("wiegand 34 facility %d is above 65535", fac)
		}
	default:
		return "", fmt.Errorf("card: wiegand bits %d is not 26 or 34", bits)
	}
	return FromWiegand(uint32(fac<<16|num), bits, order)
}

// parseDigits parses 1 to max decimal digits.
func parseDigits(s string, max int) (uint64, error) {
	if s == "" {
		return 0, errors.New("no digits")
	}
	if len(s) > max {
		return 0, fmt.Errorf("more than %d digits", max)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a digit", s[i])
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

func parseDec10(s string) (uint32, error) {
	n, err := parseDigits(s, 10)
	if err != nil {
		return 0, credErr("dec10 %q: %v", s, err)
	}
	if n > 0xFFFFFFFF {
		return 0, credErr("dec10 %q is above 4294967295 (32 bits)", s)
	}
	return uint32(n), nil
}

// parseHexUID accepts 3, 4, 5, 7 or 10 bytes of hex.
func parseHexUID(s string) ([]byte, error) {
	switch len(s) {
	case 6, 8, 10, 14, 20:
	default:
		return nil, credErr("hex UID of %d digits, want 6, 8, 10, 14 or 20", len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, credErr("hex UID %q: %v", s, err)
	}
	return b, nil
}

func uidNumber(canonical string, order Order, size int) (uint64, error) {
	if err := order.check(); err != nil {
		return 0, err
	}
	b, err := parseHexUID(canonical)
	if err != nil {
		return 0, err
	}
	if len(b) != size {
		return 0, credErr("%q has %d bytes; a decimal card number needs a %d-byte UID", canonical, len(b), size)
	}
	if order == LittleEndian {
		reverse(b)
	}
	return beUint(b), nil
}

func beBytes(n uint64, size int) []byte {
	b := make([]byte, size)
	for i := size - 1; i >= 0; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	return b
}

func beUint(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}
