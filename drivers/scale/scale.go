// Package scale defines the interface of weighing scales (MT-SICS, Mettler
// Toledo continuous, A&D, CAS, HX711 load cells, ...). Weights are integer
// grams; only a stable weight may be used for pricing.
package scale

import (
	"context"
	"time"

	"github.com/eldergate/eldergate/drivers"
)

// State is what the scale says about a weight.
type State string

// The weight states.
const (
	Stable    State = "stable"
	Unstable  State = "unstable"
	Overload  State = "overload"
	Underload State = "underload"
)

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	switch s {
	case Stable, Unstable, Overload, Underload:
		return true
	}
	return false
}

// Weight is one reading of a scale.
type Weight struct {
	Grams int64
	State State
	// Net is true when the scale reports a net weight (tare subtracted),
	// false for gross weight or when the protocol does not say.
	Net   bool
	Scale string // scale name from the configuration
	At    time.Time
}

// Scale is a weighing scale.
type Scale interface {
	// Run calls fn for every new reading until ctx is done or the scale
	// is closed. It returns ctx.Err() or drivers.ErrClosed.
	Run(ctx context.Context, fn func(Weight)) error
	// Status reports the scale's device status.
	Status() drivers.Status
	// Close releases the scale. It is safe to call more than once.
	Close() error
}
