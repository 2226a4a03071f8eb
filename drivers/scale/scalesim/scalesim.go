// Package scalesim is a scriptable simulated scale: Set puts a weight on it.
package scalesim

import (
	"context"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/internal/simloop"
	"github.com/eldergate/eldergate/drivers/scale"
)

// Scale is a simulated scale. It implements scale.Scale.
type Scale struct {
	name string
	now  func() time.Time
	q    *simloop.Queue[scale.Weight]
}

var _ scale.Scale = (*Scale)(nil)

// Option configures a Scale.
type Option func(*Scale)

// WithName sets the scale name reported in readings (default "sim").
func WithName(name string) Option { return func(s *Scale) { s.name = name } }

// WithClock sets the clock that stamps readings (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Scale) { s.now = now } }

// New returns a simulated scale.
func New(opts ...Option) *Scale {
	s := &Scale{name: "sim", now: time.Now}
	for _, o := range opts {
		o(s)
	}
	s.q = simloop.New[scale.Weight](s.name, 64, s.now())
	return s
}

// Set reports grams, stable or unstable.
func (s *Scale) Set(grams int64, stable bool) error {
	st := scale.Unstable
	if stable {
		st = scale.Stable
	}
	return s.SetState(grams, st)
}

// SetState reports grams with an explicit state (e.g. overload).
func (s *Scale) SetState(grams int64, st scale.State) error {
	if !st.Valid() {
		return fmt.Errorf("scalesim: unknown state %q", st)
	}
	if err := s.q.Send(scale.Weight{Grams: grams, State: st, Scale: s.name, At: s.now()}); err != nil {
		return fmt.Errorf("scalesim: set: %w", err)
	}
	return nil
}

// Run implements scale.Scale.
func (s *Scale) Run(ctx context.Context, fn func(scale.Weight)) error { return s.q.Run(ctx, fn) }

// Status implements scale.Scale.
func (s *Scale) Status() drivers.Status { return s.q.Status() }

// Close implements scale.Scale.
func (s *Scale) Close() error { return s.q.Close() }
