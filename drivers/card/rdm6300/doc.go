// Package rdm6300 reads 125 kHz EM4100-family cards through an RDM6300
// (RDM630) reader module on a serial line (9600 8N1, TTL level; on a
// Raspberry Pi /dev/serial0 or a USB-serial adapter /dev/ttyUSB0).
//
// # Protocol
//
// Reference: "RDM630 / RDM6300 125KHz Card Reader Mini-Module" datasheet
// (Seeed Studio / ITEAD), section "Output data format": the module sends,
// unasked and repeatedly while a card is in the field, a 14-byte frame
//
//	0x02 | 10 ASCII hex data chars | 2 ASCII hex checksum chars | 0x03
//
// The 10 data characters are 5 bytes: the version (customer) byte of the
// EM4100 ID and the 4 card bytes. The checksum is the XOR of the 5 data
// bytes. The datasheet's example: card 62E3086CED, checksum 08, frame
// 02 36 32 45 33 30 38 36 43 45 44 30 38 03.
//
// # Credential
//
// The credential is the canonical hex of the 4 card bytes (the number
// printed on EM cards is the 10-digit decimal of these bytes, see
// card.Dec10), or of all 5 bytes with Config.IncludeVersion. Config.Order
// reverses the bytes for installations whose roster was enrolled with a
// little-endian reader.
//
// Frames with a bad checksum or malformed frames are counted (Stats),
// logged and not delivered; the scanner resynchronises on the next 0x02.
// Identical consecutive frames within Config.RepeatInterval (default
// 300 ms) of the last delivered read are dropped: the module repeats a
// held card several times a second, a held card is still delivered about
// three times a second, and deduplication stays the gateway's business.
package rdm6300
