// Package card defines the interface of card readers: MIFARE (MFRC522),
// Wiegand, serial UID readers, resident ID card readers, keyboard wedges.
// A reader delivers canonical credential strings; mapping a credential to
// a person is not a driver's business.
package card

import (
	"context"
	"time"

	"github.com/eldergate/eldergate/drivers"
)

// Read is one presentation of a credential to a reader. Readers repeat
// reads while a card is held; deduplication is the caller's business.
type Read struct {
	Credential string    // canonical credential, e.g. upper-case hex UID or ID number
	Reader     string    // reader name from the configuration
	At         time.Time // when the read happened
}

// Reader is a card reader.
type Reader interface {
	// Run calls fn for every read until ctx is done or the reader is
	// closed. It returns ctx.Err() or drivers.ErrClosed.
	Run(ctx context.Context, fn func(Read)) error
	// Status reports the reader's device status.
	Status() drivers.Status
	// Close releases the reader. It is safe to call more than once.
	Close() error
}
