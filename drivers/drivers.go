// Package drivers holds what every device family shares. Each family
// (card/, scale/, button/) defines a small interface that real protocol
// drivers (MFRC522, Wiegand, RDM6300, MT-SICS, GPIO, ...) implement, and a
// scriptable simulated implementation in a sibling xxxsim package.
//
// Drivers are hardware only: no business logic. They follow one shape:
//
//	Run(ctx, fn) error // blocks, calls fn for each event, until ctx is done or Close
//	Status() Status    // current device status
//	Close() error      // releases the device; Run returns
//
// The owner calls Run in a goroutine it owns and waits for it to return.
// Callbacks are called from that goroutine, one at a time.
package drivers

import (
	"errors"
	"time"
)

// ErrClosed is returned by Run and by simulated inputs once the driver is closed.
var ErrClosed = errors.New("drivers: closed")

// Status is the state of one device, reported by every driver so that an
// unplugged or failing device is visible.
type Status struct {
	Name      string    `json:"name"`      // device name from the configuration
	Driver    string    `json:"driver"`    // e.g. "sim", "rdm6300"
	Connected bool      `json:"connected"` // the device answers
	Err       string    `json:"error,omitempty"`
	Since     time.Time `json:"since"` // when Connected last changed
}
