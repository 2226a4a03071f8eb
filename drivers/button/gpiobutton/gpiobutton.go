package gpiobutton

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
)

// Clock is the driver's time source; see drivers.Clock.
type Clock = drivers.Clock

// SystemClock returns a Clock telling the time with now (time.Now if nil).
func SystemClock(now func() time.Time) Clock { return drivers.SystemClock(now) }

// Defaults of Config.
const (
	DefaultLockout = 50 * time.Millisecond
	DefaultLong    = 3 * time.Second
	DefaultStuck   = 60 * time.Second
	DefaultPoll    = 100 * time.Millisecond
)

// Button is one button: an id for its presses and the pin it is wired to.
type Button struct {
	ID  string // e.g. "hall"; default the pin name
	Pin gpio.PinIn
}

// Config configures a Source. The zero value is usable: active-low
// buttons (closing to ground) with the pins' pull-ups enabled.
type Config struct {
	Name string // device name for status; default "gpio"
	// Lockout is how long further edges of a button are ignored after an
	// accepted change (default 50 ms). The first edge is accepted at once.
	Lockout time.Duration
	// Long is how long a button must be held to produce a button.Long
	// press in addition to the button.Short sent at the first edge
	// (default 3 s). Negative disables long presses.
	Long time.Duration
	// Stuck is how long a button may be held before it is reported stuck
	// (default 60 s). Negative disables the check.
	Stuck time.Duration
	// ActiveHigh: a pressed button reads high, the pins get pull-downs.
	// The default (false) is active-low with pull-ups.
	ActiveHigh bool
	// Poll bounds each wait for an edge so that the pin watchers notice
	// Close and cancellation (default 100 ms). It does not delay presses.
	Poll time.Duration
	// Clock defaults to SystemClock(nil).
	Clock Clock
	// OnStatus is called on every status change; may be nil.
	OnStatus func(drivers.Status)
	// Log defaults to a discarding logger.
	Log *slog.Logger
}

// State is the debounced state of one button.
type State struct {
	ID      string
	Pin     string
	Pressed bool      // debounced level
	Since   time.Time // when Pressed last changed (zero before the first change)
	Stuck   bool      // held longer than Config.Stuck or pressed at start
	Presses uint64    // presses accepted (button.Short sent)
	Edges   uint64    // raw edges seen, bounces included
}

// Source watches GPIO emergency buttons. It implements button.Source.
type Source struct {
	cfg     Config
	active  gpio.Level
	clock   Clock
	log     *slog.Logger
	tracker *drivers.Tracker

	mu      sync.Mutex
	btns    []*btn
	closed  bool
	running bool
	cancel  context.CancelFunc
	signal  func(button.Signal) // set before Run; nil: none
}

var (
	_ button.Source     = (*Source)(nil)
	_ button.Supervised = (*Source)(nil)
)

// SetSignals implements button.Supervised: fn hears button.Stuck when a
// button has been held past Config.Stuck (or is held when Run starts) and
// button.Unstuck when it is released.
func (s *Source) SetSignals(fn func(button.Signal)) {
	s.mu.Lock()
	s.signal = fn
	s.mu.Unlock()
}

// emit sends a supervision signal, if anyone listens; s.mu is not held.
func (s *Source) emit(sig *button.Signal) {
	s.mu.Lock()
	fn := s.signal
	s.mu.Unlock()
	if sig != nil && fn != nil {
		fn(*sig)
	}
}

// btn is the state of one button; guarded by Source.mu.
type btn struct {
	State
	pin       gpio.PinIn
	level     gpio.Level // level read after the last edge, bounces included
	lockUntil time.Time  // edges before this are bounces
	resample  bool       // take level when the lock-out ends
	longSent  bool       // Long already sent for this press
}

// New configures the buttons' pins as inputs (pull-up and active-low by
// default) interrupting on both edges, and returns a source.
func New(buttons []Button, cfg Config) (*Source, error) {
	if len(buttons) == 0 {
		return nil, errors.New("gpiobutton: no buttons")
	}
	if cfg.Name == "" {
		cfg.Name = "gpio"
	}
	if cfg.Lockout <= 0 {
		cfg.Lockout = DefaultLockout
	}
	if cfg.Long == 0 {
		cfg.Long = DefaultLong
	}
	if cfg.Stuck == 0 {
		cfg.Stuck = DefaultStuck
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
	s := &Source{cfg: cfg, active: gpio.Low, clock: cfg.Clock, log: cfg.Log}
	pull := gpio.PullUp
	if cfg.ActiveHigh {
		s.active, pull = gpio.High, gpio.PullDown
	}
	ids := map[string]bool{}
	for _, b := range buttons {
		if b.Pin == nil {
			return nil, fmt.Errorf("gpiobutton: button %q has no pin", b.ID)
		}
		if b.ID == "" {
			b.ID = b.Pin.Name()
		}
		if ids[b.ID] {
			return nil, fmt.Errorf("gpiobutton: button id %q used twice", b.ID)
		}
		ids[b.ID] = true
		if err := b.Pin.In(pull, gpio.BothEdges); err != nil {
			return nil, fmt.Errorf("gpiobutton: button %s on %s: %w", b.ID, b.Pin, err)
		}
		s.btns = append(s.btns, &btn{State: State{ID: b.ID, Pin: b.Pin.Name()}, pin: b.Pin})
	}
	s.tracker = drivers.NewTracker(cfg.Name, "gpio", cfg.Clock.Now, cfg.OnStatus)
	s.tracker.Set(true, nil)
	return s, nil
}

// Status implements button.Source. Its error names the stuck buttons.
func (s *Source) Status() drivers.Status { return s.tracker.Status() }

// States returns the debounced state of every button, in configuration
// order.
func (s *Source) States() []State {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]State, len(s.btns))
	for i, b := range s.btns {
		out[i] = b.State
	}
	return out
}

// Close stops Run, which returns drivers.ErrClosed. It does not wait for
// Run: the owner of Run does. Safe to call more than once.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		if s.cancel != nil {
			s.cancel()
		}
	}
	return nil
}

type edge struct {
	b     *btn
	level gpio.Level // read right after the edge
	at    time.Time
}

// Run watches the buttons and calls fn for every press until ctx is done
// or the source is closed. A button already pressed when Run starts is
// reported stuck and gives no press until it has been released.
func (s *Source) Run(ctx context.Context, fn func(button.Press)) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return drivers.ErrClosed
	}
	if s.running {
		s.mu.Unlock()
		return errors.New("gpiobutton: Run is already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	s.running, s.cancel = true, cancel
	now := s.clock.Now()
	var sigs []button.Signal
	for _, b := range s.btns {
		b.level = b.pin.Read()
		if b.level == s.active {
			b.Pressed, b.Since, b.Stuck, b.longSent = true, now, true, true
			b.resample = false
			s.log.Warn("gpiobutton: button pressed at start", "button", b.ID)
			sigs = append(sigs, button.Signal{Button: b.ID, Kind: button.Stuck, At: now})
		} else if b.Pressed { // released while a previous Run was not watching
			if b.Stuck {
				sigs = append(sigs, button.Signal{Button: b.ID, Kind: button.Unstuck, At: now})
			}
			b.Pressed, b.Since, b.Stuck, b.resample = false, now, false, false
		}
	}
	s.mu.Unlock()
	s.updateStatus()
	for i := range sigs {
		s.emit(&sigs[i])
	}

	edges := make(chan edge)
	var wg sync.WaitGroup
	for _, b := range s.btns {
		wg.Add(1)
		go s.watch(ctx, &wg, b, edges)
	}
	s.loop(ctx, edges, fn)
	cancel()
	wg.Wait()

	s.mu.Lock()
	s.running, s.cancel = false, nil
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return drivers.ErrClosed
	}
	return ctx.Err()
}

func (s *Source) watch(ctx context.Context, wg *sync.WaitGroup, b *btn, out chan<- edge) {
	defer wg.Done()
	for ctx.Err() == nil {
		if !b.pin.WaitForEdge(s.cfg.Poll) {
			continue
		}
		e := edge{b: b, at: s.clock.Now(), level: b.pin.Read()}
		select {
		case out <- e:
		case <-ctx.Done():
			return
		}
	}
}

func (s *Source) loop(ctx context.Context, edges <-chan edge, fn func(button.Press)) {
	for {
		now := s.clock.Now()
		s.advance(now, fn)
		var timer <-chan time.Time
		if next, ok := s.nextDeadline(); ok {
			timer = s.clock.At(next)
		}
		select {
		case <-ctx.Done():
			return
		case <-timer:
		case e := <-edges:
			s.advance(e.at, fn)
			s.edge(e, fn)
		}
	}
}

// The deadlines of one button: the end of its lock-out (when the level
// is read again), the long press and the stuck time.
func (s *Source) deadlines(b *btn) (resample, long, stuck time.Time) {
	if b.resample {
		resample = b.lockUntil
	}
	if b.Pressed && !b.longSent && s.cfg.Long > 0 {
		long = b.Since.Add(s.cfg.Long)
	}
	if b.Pressed && !b.Stuck && s.cfg.Stuck > 0 {
		stuck = b.Since.Add(s.cfg.Stuck)
	}
	return
}

func (s *Source) nextDeadline() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	for _, b := range s.btns {
		r, l, st := s.deadlines(b)
		for _, d := range []time.Time{r, l, st} {
			if !d.IsZero() && (next.IsZero() || d.Before(next)) {
				next = d
			}
		}
	}
	return next, !next.IsZero()
}

// advance handles every deadline up to and including t, earliest first.
func (s *Source) advance(t time.Time, fn func(button.Press)) {
	for {
		s.mu.Lock()
		var (
			due  *btn
			at   time.Time
			kind int // 0 resample, 1 long, 2 stuck
		)
		for _, b := range s.btns {
			r, l, st := s.deadlines(b)
			for k, d := range []time.Time{r, l, st} {
				if !d.IsZero() && !d.After(t) && (due == nil || d.Before(at)) {
					due, at, kind = b, d, k
				}
			}
		}
		if due == nil {
			s.mu.Unlock()
			return
		}
		var press *button.Press
		var sig *button.Signal
		statusChanged := false
		switch kind {
		case 0:
			due.resample = false
			press, sig = s.apply(due, due.level == s.active, at)
			statusChanged = sig != nil
		case 1:
			due.longSent = true
			press = &button.Press{Button: due.ID, Kind: button.Long, At: at}
		case 2:
			due.Stuck = true
			statusChanged = true
			sig = &button.Signal{Button: due.ID, Kind: button.Stuck, At: at}
			s.log.Warn("gpiobutton: button stuck", "button", due.ID, "since", due.Since)
		}
		s.mu.Unlock()
		if statusChanged {
			s.updateStatus()
		}
		s.emit(sig)
		if press != nil {
			fn(*press)
		}
	}
}

// edge handles one raw edge: accepted at once unless within a lock-out.
func (s *Source) edge(e edge, fn func(button.Press)) {
	s.mu.Lock()
	b := e.b
	b.Edges++
	b.level = e.level
	if e.at.Before(b.lockUntil) {
		// A bounce: ignored; the last level is taken when the lock-out ends.
		s.mu.Unlock()
		return
	}
	press, sig := s.apply(b, e.level == s.active, e.at)
	s.mu.Unlock()
	if sig != nil {
		s.updateStatus()
		s.emit(sig)
	}
	if press != nil {
		fn(*press)
	}
}

// apply records a debounced level; s.mu is held. It returns the press to
// send, if any, and the release of a stuck button (the status must then
// be updated).
func (s *Source) apply(b *btn, pressed bool, at time.Time) (*button.Press, *button.Signal) {
	if pressed == b.Pressed {
		return nil, nil
	}
	b.Pressed, b.Since = pressed, at
	b.lockUntil, b.resample = at.Add(s.cfg.Lockout), true
	if !pressed {
		if b.Stuck {
			b.Stuck = false
			s.log.Info("gpiobutton: stuck button released", "button", b.ID)
			return nil, &button.Signal{Button: b.ID, Kind: button.Unstuck, At: at}
		}
		return nil, nil
	}
	b.longSent = false
	b.Presses++
	return &button.Press{Button: b.ID, Kind: button.Short, At: at}, nil
}

func (s *Source) updateStatus() {
	s.mu.Lock()
	var stuck []string
	for _, b := range s.btns {
		if b.Stuck {
			stuck = append(stuck, b.ID)
		}
	}
	s.mu.Unlock()
	var err error
	if len(stuck) > 0 {
		err = fmt.Errorf("gpiobutton: stuck: %s held down", strings.Join(stuck, ", "))
	}
	s.tracker.Set(true, err)
}
