package printer

import (
	"context"
	"errors"

	"github.com/eldergate/eldergate/drivers"
)

// Printer prints tickets already laid out as device bytes (for ESC/POS,
// escpos.Ticket).
type Printer interface {
	// Print checks the printer can print (paper, online) and sends
	// ticket. An error means the ticket was not printed, or not known to
	// be: nothing is queued or retried inside, the caller decides.
	// Errors wrap ErrPaperOut, ErrOffline or ErrNotConnected when those
	// are the cause.
	Print(ctx context.Context, ticket []byte) error
	// Status reports the device status; Err names a paper or offline
	// condition while the device is connected.
	Status() drivers.Status
	// Close releases the device. It is safe to call more than once.
	Close() error
}

// Conditions that stop a ticket from being printed.
var (
	// ErrPaperOut: the roll paper end sensor sees no paper. Load paper and
	// print again.
	ErrPaperOut = errors.New("printer: paper out")
	// ErrOffline: the printer is offline (cover open, paper being fed,
	// error state).
	ErrOffline = errors.New("printer: offline")
	// ErrNotConnected: the device is unplugged, switched off or does not
	// answer.
	ErrNotConnected = errors.New("printer: not connected")
)
