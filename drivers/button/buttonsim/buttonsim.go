// Package buttonsim is a scriptable simulated button source: Press and
// LongPress deliver presses as if a button had been pushed.
package buttonsim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/internal/simloop"
)

// Source is a simulated button source. It implements button.Source.
type Source struct {
	name string
	now  func() time.Time
	q    *simloop.Queue[button.Press]
}

var _ button.Source = (*Source)(nil)

// Option configures a Source.
type Option func(*Source)

// WithName sets the device name (default "sim").
func WithName(name string) Option { return func(s *Source) { s.name = name } }

// WithClock sets the clock that stamps presses (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns a simulated button source.
func New(opts ...Option) *Source {
	s := &Source{name: "sim", now: time.Now}
	for _, o := range opts {
		o(s)
	}
	s.q = simloop.New[button.Press](s.name, 64, s.now())
	return s
}

// Press delivers a short press of button id.
func (s *Source) Press(id string) error { return s.send(id, button.Short) }

// LongPress delivers a long press of button id.
func (s *Source) LongPress(id string) error { return s.send(id, button.Long) }

func (s *Source) send(id string, k button.Kind) error {
	id = strings.TrimSpace(id)
	if id == "" {
		return fmt.Errorf("buttonsim: empty button id")
	}
	if err := s.q.Send(button.Press{Button: id, Kind: k, At: s.now()}); err != nil {
		return fmt.Errorf("buttonsim: press: %w", err)
	}
	return nil
}

// Run implements button.Source.
func (s *Source) Run(ctx context.Context, fn func(button.Press)) error { return s.q.Run(ctx, fn) }

// Status implements button.Source.
func (s *Source) Status() drivers.Status { return s.q.Status() }

// Close implements button.Source.
func (s *Source) Close() error { return s.q.Close() }
