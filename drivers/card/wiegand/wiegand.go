package wiegand

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
)

// Clock is the driver's time source; see drivers.Clock.
type Clock = drivers.Clock

// SystemClock returns a Clock telling the time with now (time.Now if nil).
func SystemClock(now func() time.Time) Clock { return drivers.SystemClock(now) }

// Defaults of Config.
const (
	DefaultGap  = 25 * time.Millisecond
	DefaultPoll = 100 * time.Millisecond
	maxBits     = 64 // bits kept per frame; longer bursts are noise
)

// Config configures a Reader. The zero value is usable.
type Config struct {
	Name string // reader name in reads and status; default "wiegand"
	// Bits is 26 or 34 to accept only that format, 0 to accept both.
	Bits int
	// Gap is the silence on both lines that ends a frame (default 25 ms;
	// bits come every 1-2 ms, frames are separated by much more).
	Gap time.Duration
	// Order says how the reader maps the card's UID bytes to the data
	// bits (card.BigEndian, the default, or card.LittleEndian); the
	// credential is card.FromWiegand of the data bits.
	Order card.Order
	// Poll bounds each wait for an edge so that the line watchers notice
	// Close and cancellation (default 100 ms). It does not delay bits.
	Poll time.Duration
	// Clock defaults to SystemClock(nil).
	Clock Clock
	// OnStatus is called on every status change; may be nil.
	OnStatus func(drivers.Status)
	// OnBadFrame, if not nil, is called (from Run's goroutine) with the
	// error of every rejected frame.
	OnBadFrame func(error)
	// Log defaults to a discarding logger.
	Log *slog.Logger
}

// Stats counts what a Reader received.
type Stats struct {
	Pulses    uint64 // pulses (bits) received on D0 and D1
	Frames    uint64 // good frames delivered as reads
	BadFrames uint64 // frames rejected: wrong length, parity, format
	LastError string // why the last bad frame was rejected
}

// Reader decodes Wiegand 26 and 34 frames from a reader's D0 and D1
// lines. It implements card.Reader.
type Reader struct {
	d0, d1  gpio.PinIn
	cfg     Config
	clock   Clock
	log     *slog.Logger
	tracker *drivers.Tracker

	mu      sync.Mutex
	stats   Stats
	closed  bool
	running bool
	cancel  context.CancelFunc // cancels the running Run
}

var _ card.Reader = (*Reader)(nil)

// New configures d0 and d1 as inputs with pull-ups, interrupting on
// falling edges (Wiegand lines idle high; each bit is a 50-100 µs low
// pulse on D0 for 0 or on D1 for 1), and returns a reader.
func New(d0, d1 gpio.PinIn, cfg Config) (*Reader, error) {
	if d0 == nil || d1 == nil {
		return nil, errors.New("wiegand: D0 and D1 pins are required")
	}
	if cfg.Bits != 0 && cfg.Bits != 26 && cfg.Bits != 34 {
		return nil, fmt.Errorf("wiegand: bits %d is not 26, 34 or 0 (both)", cfg.Bits)
	}
	if cfg.Order == "" {
		cfg.Order = card.BigEndian
	}
	if cfg.Order != card.BigEndian && cfg.Order != card.LittleEndian {
		return nil, fmt.Errorf("wiegand: byte order %q is not be or le", cfg.Order)
	}
	if cfg.Name == "" {
		cfg.Name = "wiegand"
	}
	if cfg.Gap <= 0 {
		cfg.Gap = DefaultGap
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock(nil)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	for _, p := range []struct {
		name string
		pin  gpio.PinIn
	}{{"D0", d0}, {"D1", d1}} {
		if err := p.pin.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return nil, fmt.Errorf("wiegand: %s on %s: %w", p.name, p.pin, err)
		}
	}
	r := &Reader{d0: d0, d1: d1, cfg: cfg, clock: cfg.Clock, log: cfg.Log}
	r.tracker = drivers.NewTracker(cfg.Name, "wiegand", cfg.Clock.Now, cfg.OnStatus)
	// A Wiegand reader cannot be seen when idle: the lines being
	// configured is all that "connected" can mean.
	r.tracker.Set(true, nil)
	return r, nil
}

// Status implements card.Reader.
func (r *Reader) Status() drivers.Status { return r.tracker.Status() }

// Stats returns the counters.
func (r *Reader) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Close stops Run, which returns drivers.ErrClosed. It does not wait for
// Run: the owner of Run does. Safe to call more than once.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		if r.cancel != nil {
			r.cancel()
		}
	}
	return nil
}

type pulse struct {
	bit bool
	at  time.Time
}

// Run watches both lines and calls fn for every good frame until ctx is
// done or the reader is closed. Bad frames are counted, logged, reported
// through the status (an error until the next good frame) and
// Config.OnBadFrame, never passed to fn.
func (r *Reader) Run(ctx context.Context, fn func(card.Read)) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return drivers.ErrClosed
	}
	if r.running {
		r.mu.Unlock()
		return errors.New("wiegand: Run is already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	r.running, r.cancel = true, cancel
	r.mu.Unlock()

	pulses := make(chan pulse)
	var wg sync.WaitGroup
	wg.Add(2)
	go r.watch(ctx, &wg, r.d0, false, pulses)
	go r.watch(ctx, &wg, r.d1, true, pulses)
	r.loop(ctx, pulses, fn)
	cancel()
	wg.Wait()

	r.mu.Lock()
	r.running, r.cancel = false, nil
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return drivers.ErrClosed
	}
	return ctx.Err()
}

// watch turns the edges of one line into pulses until ctx is done.
func (r *Reader) watch(ctx context.Context, wg *sync.WaitGroup, pin gpio.PinIn, bit bool, out chan<- pulse) {
	defer wg.Done()
	for ctx.Err() == nil {
		if !pin.WaitForEdge(r.cfg.Poll) {
			continue
		}
		select {
		case out <- pulse{bit: bit, at: r.clock.Now()}:
		case <-ctx.Done():
			return
		}
	}
}

// loop assembles pulses into frames until ctx is done.
func (r *Reader) loop(ctx context.Context, pulses <-chan pulse, fn func(card.Read)) {
	var (
		bits  []bool
		count int // pulses of the current frame, including those beyond maxBits
		last  time.Time
	)
	flush := func() {
		if count > 0 {
			r.frame(bits, count, last, fn)
		}
		bits, count = bits[:0], 0
	}
	for {
		var timer <-chan time.Time
		if count > 0 {
			timer = r.clock.At(last.Add(r.cfg.Gap))
		}
		select {
		case <-ctx.Done():
			return
		case <-timer:
			flush()
		case p := <-pulses:
			if count > 0 && p.at.Sub(last) >= r.cfg.Gap {
				flush() // the gap passed before this pulse was seen
			}
			if count < maxBits {
				bits = append(bits, p.bit)
			}
			count++
			if p.at.After(last) || count == 1 {
				last = p.at
			}
			r.mu.Lock()
			r.stats.Pulses++
			r.mu.Unlock()
		}
	}
}

// frame decodes one frame and delivers or reports it.
func (r *Reader) frame(bits []bool, count int, at time.Time, fn func(card.Read)) {
	f, err := Decode(bits)
	if count > len(bits) {
		err = fmt.Errorf("%w: got %d bits", ErrLength, count)
	}
	if err == nil && r.cfg.Bits != 0 && f.Bits != r.cfg.Bits {
		err = fmt.Errorf("%w: got a %d-bit frame, configured for %d bits", ErrLength, f.Bits, r.cfg.Bits)
	}
	var cred string
	if err == nil {
		cred, err = card.FromWiegand(f.Data, f.Bits, r.cfg.Order)
	}
	if err != nil {
		r.mu.Lock()
		r.stats.BadFrames++
		r.stats.LastError = err.Error()
		r.mu.Unlock()
		r.log.Warn("wiegand: bad frame", "reader", r.cfg.Name, "bits", count, "err", err)
		r.tracker.Set(true, err)
		if r.cfg.OnBadFrame != nil {
			r.cfg.OnBadFrame(err)
		}
		return
	}
	r.mu.Lock()
	r.stats.Frames++
	r.mu.Unlock()
	r.tracker.Set(true, nil)
	r.log.Debug("wiegand: frame", "reader", r.cfg.Name, "frame", f.String())
	fn(card.Read{Credential: cred, Reader: r.cfg.Name, At: at})
}
