// Package button defines the interface of emergency buttons: wired GPIO
// (with lock-out debounce done by the driver) and 433 MHz receivers.
package button

import (
	"context"
	"time"

	"github.com/eldergate/eldergate/drivers"
)

// Kind says how a button was pressed.
type Kind string

// The press kinds.
const (
	Short Kind = "press"
	Long  Kind = "long_press"
)

// Press is one debounced press of one button.
type Press struct {
	Button string // button id, e.g. GPIO line name or 433 MHz code
	Kind   Kind
	At     time.Time
}

// Source delivers the presses of one or more buttons.
type Source interface {
	// Run calls fn for every press until ctx is done or the source is
	// closed. It returns ctx.Err() or drivers.ErrClosed.
	Run(ctx context.Context, fn func(Press)) error
	// Status reports the device status.
	Status() drivers.Status
	// Close releases the device. It is safe to call more than once.
	Close() error
}
