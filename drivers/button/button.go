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

// SignalKind says what a supervision signal reports about a button.
type SignalKind string

// The supervision signals.
const (
	// Alive: the button was heard (a press, or a periodic supervision
	// report of a 433 MHz pendant).
	Alive SignalKind = "alive"
	// BatteryLow: the button reported a low battery (and so is alive).
	BatteryLow SignalKind = "battery_low"
	// Stuck: a wired button has been held longer than the stuck limit (or
	// was held when watching began).
	Stuck SignalKind = "stuck"
	// Unstuck: a stuck button was released.
	Unstuck SignalKind = "unstuck"
)

// Signal is one supervision observation of one button: not an alarm, but
// what tells the gateway that a button can no longer be relied on.
type Signal struct {
	Button string
	Kind   SignalKind
	At     time.Time
}

// Supervised is implemented by sources that report supervision signals
// besides presses. SetSignals must be called before Run; fn is called
// from Run's goroutine, like the press callback.
type Supervised interface {
	SetSignals(fn func(Signal))
}
