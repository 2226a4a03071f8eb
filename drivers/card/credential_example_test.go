package card_test

import (
	"fmt"

	"github.com/eldergate/eldergate/drivers/card"
)

// Importing a roster whose card numbers were printed by a 10-digit
// decimal reader, and showing a card read by an MFRC522 in the formats
// staff may find printed on it.
func ExampleFormat_Normalize() {
	dec := card.Format{Input: card.InputDec10, Order: card.BigEndian}
	c, err := dec.Normalize("0077705923")
	fmt.Println(c, err)

	le := card.Format{Input: card.InputHex, Order: card.LittleEndian}
	c, err = le.Normalize("C3B2A104")
	fmt.Println(c, err)

	uid := card.FromUID([]byte{0x04, 0xA1, 0xB2, 0xC3}, card.BigEndian)
	d, _ := card.Dec10(uid, card.BigEndian)
	w26, _ := card.Wiegand(uid, card.BigEndian, 26)
	fmt.Println(uid, d, w26)

	_, err = card.Format{Input: card.InputID}.Normalize("110105194912310021")
	fmt.Println(err)
	// Output:
	// 04A1B2C3 <nil>
	// 04A1B2C3 <nil>
	// 04A1B2C3 0077705923 161,45763
	// card: malformed credential: resident ID number: check character does not match the first 17 digits (GB 11643, ISO 7064 MOD 11-2)
}
