// Package tillsim is a scriptable simulated till: Ring delivers an amount
// as if the POS had sent it, so that the demo and tests price meals by
// the till without a serial line.
package tillsim

import (
	"context"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/internal/simloop"
	"github.com/eldergate/eldergate/drivers/till"
)

// Till is a simulated till. It implements till.Till.
type Till struct {
	name    string
	now     func() time.Time
	q       *simloop.Queue[till.Amount]
	tracker *drivers.Tracker
}

var _ till.Till = (*Till)(nil)

// New returns a connected simulated till called name (default "till");
// now stamps amounts (default time.Now); onStatus, if not nil, hears
// every status change.
func New(name string, now func() time.Time, onStatus func(drivers.Status)) *Till {
	if name == "" {
		name = "till"
	}
	if now == nil {
		now = time.Now
	}
	t := &Till{name: name, now: now, q: simloop.New[till.Amount](name, 16, now()),
		tracker: drivers.NewTracker(name, "sim", now, onStatus)}
	t.tracker.Set(true, nil)
	return t
}

// Ring queues the amount of a sale. It does not wait for the gateway.
func (t *Till) Ring(fen eldergate.Fen, ref string) error {
	if fen <= 0 {
		return fmt.Errorf("tillsim: amount %d fen: must be more than zero", fen)
	}
	if len(ref) > till.MaxRef {
		return fmt.Errorf("tillsim: reference longer than %d bytes", till.MaxRef)
	}
	if err := t.q.Send(till.Amount{Fen: fen, Ref: ref, Till: t.name, At: t.now()}); err != nil {
		return fmt.Errorf("tillsim: ring: %w", err)
	}
	return nil
}

// Run implements till.Till; a refusal is recorded in the status.
func (t *Till) Run(ctx context.Context, fn func(till.Amount) error) error {
	return t.q.Run(ctx, func(a till.Amount) {
		text := a.Fen.String()
		if a.Ref != "" {
			text += " ref " + a.Ref
		}
		if err := fn(a); err != nil {
			t.tracker.SetLast("", fmt.Errorf("amount %s refused: %w", text, err))
			return
		}
		t.tracker.SetLast(text, nil)
	})
}

// Status implements till.Till.
func (t *Till) Status() drivers.Status {
	st := t.tracker.Status()
	if !t.q.Status().Connected {
		st.Connected, st.Err = false, "closed"
	}
	return st
}

// Close implements till.Till.
func (t *Till) Close() error { return t.q.Close() }
