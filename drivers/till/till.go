// Package till defines the interface of tills (POS) that give the gateway
// the amount of a sale over a device line rather than over its HTTP API:
// a serial line protocol for integrators, or the customer pole display
// (顾客显示屏) the POS software drives (serialtill), and a simulated till
// (tillsim). A till delivers amounts; pairing an amount with a tap is not
// a driver's business.
package till

import (
	"context"
	"errors"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
)

// Amount is one sale's amount rung up at a till.
type Amount struct {
	Fen  eldergate.Fen // more than zero
	Ref  string        // the till's reference of the sale; may be empty
	Till string        // till name from the configuration
	At   time.Time     // when the amount arrived
}

// Till is a till on a device line.
type Till interface {
	// Run calls fn for every amount until ctx is done or the till is
	// closed; it returns ctx.Err() or drivers.ErrClosed. fn's error is
	// the gateway's refusal of the amount: a protocol that answers (the
	// line protocol) tells the till, others log it. Wrap ErrBusy or
	// ErrRefused to choose the answer's code.
	Run(ctx context.Context, fn func(Amount) error) error
	// Status reports the device status; Last is the last amount taken.
	Status() drivers.Status
	// Close releases the till. It is safe to call more than once.
	Close() error
}

// Refusals a handler returns (wrapped) to say why it did not take an
// amount.
var (
	// ErrBusy: an amount already waits for a tap.
	ErrBusy = errors.New("till: an amount already waits for a tap")
	// ErrRefused: the amount is not acceptable (e.g. above the largest
	// amount the gateway takes).
	ErrRefused = errors.New("till: amount refused")
)

// MaxRef is the longest reference of a sale, in bytes (as over HTTP).
const MaxRef = 128
