package escpos

import (
	"errors"
	"fmt"

	"github.com/eldergate/eldergate/drivers/printer"
)

// Real-time status requests, DLE EOT n (ESC/POS Command Reference,
// "DLE EOT n: Transmit real-time status").
const (
	StatusPrinter byte = 1 // printer status: drawer pin, online/offline, feed button
	StatusOffline byte = 2 // offline cause (not used here)
	StatusError   byte = 3 // error cause (not used here)
	StatusPaper   byte = 4 // roll paper sensor status: near end, paper end
)

// StatusRequest returns DLE EOT n.
func StatusRequest(n byte) []byte { return []byte{DLE, EOT, n} }

// Status is what the real-time status bytes say.
type Status struct {
	Offline      bool // n=1 bit 3: the printer is offline (cover open, paper feeding, paper end, error)
	PaperNearEnd bool // n=4 bits 2-3: the roll paper near-end sensor sees little paper left
	PaperOut     bool // n=4 bits 5-6: the roll paper end sensor sees no paper
}

// Err maps a status to the condition that stops printing: paper out
// first (on most printers paper out also makes them offline), then
// offline. Paper near end is not an error: the ticket still prints.
func (s Status) Err() error {
	switch {
	case s.PaperOut:
		return fmt.Errorf("escpos: %w (load paper and print again)", printer.ErrPaperOut)
	case s.Offline:
		return fmt.Errorf("escpos: %w (cover open or printer error)", printer.ErrOffline)
	}
	return nil
}

// Note is the text shown in the device status: the error, a paper
// near-end warning, or "".
func (s Status) Note() string {
	if err := s.Err(); err != nil {
		return err.Error()
	}
	if s.PaperNearEnd {
		return "escpos: paper near end"
	}
	return ""
}

// ErrBadStatus is wrapped by ParseStatus for a byte that is not a status
// reply (its fixed bits are wrong): noise, or a printer that does not
// speak ESC/POS.
var ErrBadStatus = errors.New("escpos: not a real-time status byte")

// Fixed bits of every DLE EOT reply (n = 1 to 4): bit 0 is 0, bit 1 is 1,
// bit 4 is 1, bit 7 is 0, so a normal reply is 0x12.
const (
	fixedMask  = 0x93
	fixedValue = 0x12
)

// ParseStatus parses b, the printer's reply to DLE EOT n (n = 1 or 4),
// following the ESC/POS Command Reference tables for DLE EOT:
//
//	n=1 (printer status): bit 2 drawer kick-out connector pin 3,
//	    bit 3 offline (1) / online (0), bit 5 waiting for online
//	    recovery, bit 6 paper feed button pressed.
//	n=4 (roll paper sensor): bits 2,3 roll paper near-end sensor
//	    (both 1: paper near end), bits 5,6 roll paper end sensor
//	    (both 1: paper not present).
//
// Epson sets both bits of a pair together; some compatible printers set
// only one, so either bit set counts. Only the fields the request covers
// are set in the result.
func ParseStatus(n, b byte) (Status, error) {
	if n != StatusPrinter && n != StatusPaper {
		return Status{}, fmt.Errorf("escpos: status request n=%d is not supported (want 1 or 4)", n)
	}
	if b&fixedMask != fixedValue {
		return Status{}, fmt.Errorf("%w: %#02x in reply to DLE EOT %d", ErrBadStatus, b, n)
	}
	var s Status
	if n == StatusPrinter {
		s.Offline = b&0x08 != 0
		return s, nil
	}
	s.PaperNearEnd = b&0x0C != 0
	s.PaperOut = b&0x60 != 0
	return s, nil
}

// merge combines the results of different requests.
func (s Status) merge(o Status) Status {
	return Status{
		Offline:      s.Offline || o.Offline,
		PaperNearEnd: s.PaperNearEnd || o.PaperNearEnd,
		PaperOut:     s.PaperOut || o.PaperOut,
	}
}
