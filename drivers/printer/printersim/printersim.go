// Package printersim is a simulated ticket printer: it keeps the tickets
// it is sent, and can be told it ran out of paper, so that the gateway's
// demo and tests print without hardware.
package printersim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/printer"
)

// MaxKept bounds the tickets kept; older ones are dropped.
const MaxKept = 100

// Printer is a simulated printer. It implements printer.Printer and is
// safe for concurrent use.
type Printer struct {
	tracker *drivers.Tracker

	mu       sync.Mutex
	tickets  [][]byte
	paperOut bool
	closed   bool
}

var _ printer.Printer = (*Printer)(nil)

// New returns a connected simulated printer called name; onStatus, if not
// nil, hears every status change.
func New(name string, now func() time.Time, onStatus func(drivers.Status)) *Printer {
	if name == "" {
		name = "printer"
	}
	p := &Printer{tracker: drivers.NewTracker(name, "sim", now, onStatus)}
	p.tracker.Set(true, nil)
	return p
}

// Print keeps ticket, or fails with printer.ErrPaperOut while out of paper.
func (p *Printer) Print(ctx context.Context, ticket []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("printersim: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return drivers.ErrClosed
	}
	if p.paperOut {
		return fmt.Errorf("printersim: %w", printer.ErrPaperOut)
	}
	p.tickets = append(p.tickets, append([]byte(nil), ticket...))
	if len(p.tickets) > MaxKept {
		p.tickets = p.tickets[len(p.tickets)-MaxKept:]
	}
	return nil
}

// SetPaperOut simulates the paper running out (true) or being loaded.
func (p *Printer) SetPaperOut(out bool) {
	p.mu.Lock()
	p.paperOut = out
	p.mu.Unlock()
	if out {
		p.tracker.Set(true, fmt.Errorf("printersim: %w", printer.ErrPaperOut))
	} else {
		p.tracker.Set(true, nil)
	}
}

// Tickets returns the tickets printed so far, oldest first.
func (p *Printer) Tickets() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.tickets...)
}

// Status implements printer.Printer.
func (p *Printer) Status() drivers.Status { return p.tracker.Status() }

// Close implements printer.Printer.
func (p *Printer) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return nil
}
