// Package escpostest plays an ESC/POS printer's side of a serial line
// (drivers/serialport/serialtest) for the tests of code that prints: it
// answers the driver's status requests and gives the GB18030 bytes a
// printed text is expected to hold.
package escpostest

import (
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers/printer/escpos"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Answer plays the printer's side of one print's status check: it waits
// (up to 5 s) for DLE EOT 1 and answers s1, then for DLE EOT 4 and
// answers s4. 0x12 and 0x12 mean ready; 0x1A 0x72 mean cover open and
// paper out (escpos.ParseStatus).
func Answer(t testing.TB, dev *serialtest.Device, s1, s4 byte) {
	t.Helper()
	for _, q := range []struct{ n, reply byte }{{1, s1}, {4, s4}} {
		if got, err := dev.ReadUntil(escpos.StatusRequest(q.n), 5*time.Second); err != nil {
			t.Fatalf("waiting for DLE EOT %d: got % X, %v", q.n, got, err)
		}
		dev.Write([]byte{q.reply})
	}
}

// GB18030 is s as the printer receives it.
func GB18030(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
