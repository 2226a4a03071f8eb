// Package cardsim is a scriptable simulated card reader: Tap delivers a
// credential as if a card had been presented.
package cardsim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/internal/simloop"
)

// Reader is a simulated card reader. It implements card.Reader.
type Reader struct {
	name string
	now  func() time.Time
	q    *simloop.Queue[card.Read]
}

var _ card.Reader = (*Reader)(nil)

// Option configures a Reader.
type Option func(*Reader)

// WithName sets the reader name reported in reads (default "sim").
func WithName(name string) Option { return func(r *Reader) { r.name = name } }

// WithClock sets the clock that stamps reads (default time.Now).
func WithClock(now func() time.Time) Option { return func(r *Reader) { r.now = now } }

// New returns a simulated reader.
func New(opts ...Option) *Reader {
	r := &Reader{name: "sim", now: time.Now}
	for _, o := range opts {
		o(r)
	}
	r.q = simloop.New[card.Read](r.name, 64, r.now())
	return r
}

// Tap presents credential to the reader. It does not wait for the read to
// be handled.
func (r *Reader) Tap(credential string) error {
	credential = strings.TrimSpace(credential)
	if credential == "" {
		return fmt.Errorf("cardsim: empty credential")
	}
	if err := r.q.Send(card.Read{Credential: credential, Reader: r.name, At: r.now()}); err != nil {
		return fmt.Errorf("cardsim: tap: %w", err)
	}
	return nil
}

// Run implements card.Reader.
func (r *Reader) Run(ctx context.Context, fn func(card.Read)) error { return r.q.Run(ctx, fn) }

// Status implements card.Reader.
func (r *Reader) Status() drivers.Status { return r.q.Status() }

// Close implements card.Reader.
func (r *Reader) Close() error { return r.q.Close() }
