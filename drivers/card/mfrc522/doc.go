// Package mfrc522 reads the UIDs of ISO/IEC 14443 type A cards (MIFARE
// Classic, MIFARE Ultralight, NTAG, DESFire, ...) through an NXP MFRC522
// reader IC (the common "RC522" boards) on SPI.
//
// # References
//
//   - NXP MFRC522 "Standard performance MIFARE and NTAG frontend",
//     product data sheet rev. 3.9: section 8.1.2 (SPI interface, address
//     byte), section 9 (registers), section 10 (commands: Transceive,
//     SoftReset), interrupt request (ComIEnReg IRqInv/RxIEn, ComIrqReg);
//     https://www.nxp.com/docs/en/data-sheet/MFRC522.pdf
//   - ISO/IEC 14443-3, type A initialisation and anticollision: REQA,
//     ATQA, ANTICOLLISION/SELECT per cascade level (SEL 0x93, 0x95, 0x97),
//     the cascade tag 0x88, BCC, SAK bit 3 "UID not complete", and
//     Annex B (CRC_A).
//   - NXP AN10927 "MIFARE and handling of UIDs" (single size 4 bytes,
//     double size 7 bytes, triple size 10 bytes).
//   - periph.io/x/devices/v3/mfrc522 (v3.7.4), whose low-level driver
//     (package commands: register access, Init, CardWrite) this package
//     uses.
//
// # What this package adds to periph's driver
//
// periph's mfrc522.Dev.ReadUID reads 4-byte UIDs and the bytes of a
// 7-byte UID, but it never selects the second cascade level, does not
// check SAK, cannot be cancelled (it waits with its own goroutine and
// time.After) and panics when halted twice. This package therefore runs
// the ISO/IEC 14443-3 anticollision/select loop itself on top of periph's
// commands.LowLevel: for each cascade level ANTICOLLISION (BCC checked),
// SELECT with a CRC_A computed in software, SAK checked (CRC_A and
// cascade bit against the cascade tag), until SAK says the UID is
// complete: 4-, 7- and 10-byte UIDs.
//
// # Polling and the IRQ pin
//
// A poll reads VersionReg (0x00 or 0xFF means no chip: a device error,
// shown as a disconnected status), initialises the chip, routes the
// receive interrupt to the IRQ pin (active low) and sends REQA every
// Config.Step until the IRQ line falls or Config.Timeout passes
// (ErrNoCard). It then initialises the chip again, which also resets
// the card through the RF field, and selects the card. The number of
// REQA steps is Timeout/Step rounded up, so a poll's register traffic is
// deterministic for tests.
//
// Run polls until closed and delivers card.Read with the canonical
// credential (card.FromUID: upper-case hex, UID0 first, e.g. "04112233445566").
// A held card is read again after Config.Interval. Cards that answer
// but cannot be read (two cards colliding, a bad BCC or CRC) are counted
// in Stats.Failures and logged; errors of the chip or the bus set the
// status to disconnected and are retried after Config.Retry. Close
// cancels the poll and puts the chip into soft power-down.
//
// # Wiring on a Raspberry Pi
//
// SDA (chip select) to CE0 (GPIO8), SCK to GPIO11, MOSI to GPIO10, MISO
// to GPIO9, IRQ to GPIO24, RST to GPIO25, 3.3 V only. Enable SPI
// (dtparam=spi=on); the port is /dev/spidev0.0.
package mfrc522
