package output

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/eldergate/eldergate/drivers"
)

// Clock is the driver's time source; see drivers.Clock.
type Clock = drivers.Clock

// SystemClock returns a Clock telling the time with now (time.Now if nil).
func SystemClock(now func() time.Time) Clock { return drivers.SystemClock(now) }

// Config configures a Player or a Relay. The zero value is usable.
type Config struct {
	Name string // device name for status and logs; default "output"
	// ActiveLow: the device is on when the pin is low (many relay boards
	// and buzzers driven through a PNP transistor). Default: on is high.
	ActiveLow bool
	// Clock defaults to SystemClock(nil).
	Clock Clock
	// OnStatus is called on every status change; may be nil.
	OnStatus func(drivers.Status)
	// Log defaults to a discarding logger.
	Log *slog.Logger
}

// Player plays on/off patterns on one output pin (a buzzer or an LED).
// It owns one goroutine, started by NewPlayer and stopped by Close.
// Start and Stop may be called from any goroutine.
type Player struct {
	pin     gpio.PinOut
	cfg     Config
	clock   Clock
	log     *slog.Logger
	tracker *drivers.Tracker

	cmds chan command
	quit chan struct{}
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	playing string // name of the running pattern, "" when idle
	on      bool   // the output is on
	known   bool   // the pin level is known (last write succeeded)
}

type command struct {
	pat   *Pattern // nil: stop
	reply chan error
}

// ErrClosed is returned by Start and Stop after Close.
var ErrClosed = errors.New("output: closed")

// NewPlayer switches the output off and starts the player's goroutine.
func NewPlayer(pin gpio.PinOut, cfg Config) (*Player, error) {
	if pin == nil {
		return nil, errors.New("output: no pin")
	}
	if cfg.Name == "" {
		cfg.Name = "output"
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock(nil)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	p := &Player{pin: pin, cfg: cfg, clock: cfg.Clock, log: cfg.Log,
		cmds: make(chan command), quit: make(chan struct{}), done: make(chan struct{})}
	p.tracker = drivers.NewTracker(cfg.Name, "gpio", cfg.Clock.Now, cfg.OnStatus)
	if err := p.set(false); err != nil {
		return nil, err
	}
	go p.loop()
	return p, nil
}

// Start plays pat, replacing the pattern being played. It returns once
// the first step is on the pin.
func (p *Player) Start(pat Pattern) error {
	if err := pat.Validate(); err != nil {
		return err
	}
	pat.Steps = append([]Step(nil), pat.Steps...)
	return p.send(&pat)
}

// Stop stops the pattern being played, if any, and switches the output
// off. It returns once the output is off.
func (p *Player) Stop() error { return p.send(nil) }

func (p *Player) send(pat *Pattern) error {
	c := command{pat: pat, reply: make(chan error, 1)}
	select {
	case p.cmds <- c:
	case <-p.done:
		return ErrClosed
	}
	select {
	case err := <-c.reply:
		return err
	case <-p.done:
		return ErrClosed
	}
}

// Playing returns the name of the pattern being played, "" when idle.
func (p *Player) Playing() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.playing
}

// On reports whether the output is on.
func (p *Player) On() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.on
}

// Status reports the output's status: an error when the last write to
// the pin failed.
func (p *Player) Status() drivers.Status { return p.tracker.Status() }

// Close stops the pattern, switches the output off and waits for the
// player's goroutine. Safe to call more than once.
func (p *Player) Close() error {
	p.once.Do(func() { close(p.quit) })
	<-p.done
	return nil
}

// set drives the pin; it writes only when the level changes or is
// unknown after a failed write.
func (p *Player) set(on bool) error {
	p.mu.Lock()
	same := p.known && p.on == on
	p.mu.Unlock()
	if same {
		return nil
	}
	l := gpio.Level(on != p.cfg.ActiveLow)
	if err := p.pin.Out(l); err != nil {
		err = fmt.Errorf("output: %s: set %s: %w", p.cfg.Name, l, err)
		p.mu.Lock()
		p.known = false
		p.mu.Unlock()
		p.tracker.Set(false, err)
		p.log.Warn("output: write failed", "output", p.cfg.Name, "err", err)
		return err
	}
	p.mu.Lock()
	p.on, p.known = on, true
	p.mu.Unlock()
	p.tracker.Set(true, nil)
	return nil
}

func (p *Player) setPlaying(name string) {
	p.mu.Lock()
	p.playing = name
	p.mu.Unlock()
}

// loop plays patterns. Step deadlines are absolute (start of the pattern
// plus the durations so far), so a late wake-up does not stretch the
// pattern.
func (p *Player) loop() {
	defer close(p.done)
	var (
		pat      *Pattern
		idx      int
		deadline time.Time
	)
	for {
		var timer <-chan time.Time
		if pat != nil && pat.Steps[idx].For > 0 {
			timer = p.clock.At(deadline)
		}
		select {
		case <-p.quit:
			_ = p.set(false)
			p.setPlaying("")
			return
		case c := <-p.cmds:
			if c.pat == nil {
				pat = nil
				p.setPlaying("")
				c.reply <- p.set(false)
				continue
			}
			pat, idx = c.pat, 0
			deadline = p.clock.Now().Add(pat.Steps[0].For)
			p.setPlaying(pat.Name)
			c.reply <- p.set(pat.Steps[0].On)
		case <-timer:
			pat, idx, deadline = p.next(pat, idx, deadline)
		}
	}
}

// next moves to the step after idx, whose deadline has passed.
func (p *Player) next(pat *Pattern, idx int, deadline time.Time) (*Pattern, int, time.Time) {
	idx++
	if idx == len(pat.Steps) {
		if !pat.Repeat {
			p.setPlaying("")
			_ = p.set(false)
			return nil, 0, time.Time{}
		}
		idx = 0
	}
	_ = p.set(pat.Steps[idx].On)
	return pat, idx, deadline.Add(pat.Steps[idx].For)
}

// Relay switches a relay (a door strike, a warning light) on one output
// pin: on, off, or on for a while.
type Relay struct {
	p *Player
}

// NewRelay switches the relay off and returns it.
func NewRelay(pin gpio.PinOut, cfg Config) (*Relay, error) {
	if cfg.Name == "" {
		cfg.Name = "relay"
	}
	p, err := NewPlayer(pin, cfg)
	if err != nil {
		return nil, err
	}
	return &Relay{p: p}, nil
}

// On switches the relay on until Off (or a pulse replaces it).
func (r *Relay) On() error { return r.p.Start(Solid()) }

// Off switches the relay off, ending a pulse early.
func (r *Relay) Off() error { return r.p.Stop() }

// Pulse switches the relay on for d, then off. It returns at once; a
// later On, Off or Pulse replaces the pulse.
func (r *Relay) Pulse(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("output: relay pulse of %v", d)
	}
	return r.p.Start(Pulse(d))
}

// IsOn reports whether the relay is on.
func (r *Relay) IsOn() bool { return r.p.On() }

// Status reports the relay's status.
func (r *Relay) Status() drivers.Status { return r.p.Status() }

// Close switches the relay off and stops its goroutine. Safe to call
// more than once.
func (r *Relay) Close() error { return r.p.Close() }
