package hx711

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
)

// MaxClockHigh is the longest PD_SCK may stay high: after 60 µs the
// HX711 powers down (datasheet, "Power down control"), and the bits read
// around it are garbage.
const MaxClockHigh = 60 * time.Microsecond

// Errors of the bit-level reader.
var (
	ErrNotReady = errors.New("hx711: DOUT did not go low (no conversion ready; not connected or powered down?)")
	ErrTiming   = errors.New("hx711: clock pulse too long (thread preempted), reading discarded")
)

// Gain selects the input channel and gain: the number of clock pulses
// after the 24 data bits sets the next conversion (datasheet, Table 3).
type Gain int

// The HX711 input modes.
const (
	GainA128 Gain = 128 // channel A, gain 128: 25 pulses
	GainA64  Gain = 64  // channel A, gain 64: 27 pulses
	GainB32  Gain = 32  // channel B, gain 32: 26 pulses
)

func (g Gain) pulses() (int, error) {
	switch g {
	case GainA128, 0:
		return 25, nil
	case GainA64:
		return 27, nil
	case GainB32:
		return 26, nil
	}
	return 0, fmt.Errorf("hx711: gain %d: want 128, 64 or 32", int(g))
}

// Reader reads raw conversions by bit-banging DOUT and PD_SCK.
type Reader struct {
	dout   gpio.PinIn
	sck    gpio.PinOut
	pulses int
	now    func() time.Time
	edges  bool // DOUT has edge detection
	// discard the next conversion: after a power-down the chip restarts
	// with gain 128 whatever was selected.
	discard bool
}

// NewReader configures the pins: DOUT as input with pull-up (so a
// missing chip reads "not ready") and falling-edge detection when the
// pin supports it, PD_SCK low. now times the clock pulses; nil means
// time.Now.
func NewReader(dout gpio.PinIn, sck gpio.PinOut, gain Gain, now func() time.Time) (*Reader, error) {
	if dout == nil || sck == nil {
		return nil, errors.New("hx711: DOUT and PD_SCK pins are required")
	}
	p, err := gain.pulses()
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	r := &Reader{dout: dout, sck: sck, pulses: p, now: now, edges: true}
	if err := dout.In(gpio.PullUp, gpio.FallingEdge); err != nil {
		r.edges = false
		if err := dout.In(gpio.PullUp, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("hx711: DOUT %s: %w", dout, err)
		}
	}
	if err := sck.Out(gpio.Low); err != nil {
		return nil, fmt.Errorf("hx711: PD_SCK %s: %w", sck, err)
	}
	return r, nil
}

// WaitReady waits until DOUT is low (a conversion is ready), timeout
// passes (ErrNotReady) or ctx ends.
func (r *Reader) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if r.dout.Read() == gpio.Low {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return ErrNotReady
		}
		step := min(left, 50*time.Millisecond)
		if r.edges {
			// An edge may be a stale one from the data bits of the last
			// read: the level is checked again at the top of the loop.
			r.dout.WaitForEdge(step)
		} else {
			time.Sleep(min(step, 2*time.Millisecond))
		}
	}
}

// ReadRaw clocks out one conversion (call it when DOUT is low) and sets
// the gain of the next one. It returns the 24-bit two's complement value
// sign-extended. A clock pulse longer than MaxClockHigh gives ErrTiming
// (the reading and the next are discarded).
func (r *Reader) ReadRaw() (int64, error) {
	var v uint32
	long := false
	for i := 0; i < r.pulses; i++ {
		t0 := r.now()
		if err := r.sck.Out(gpio.High); err != nil {
			return 0, fmt.Errorf("hx711: PD_SCK: %w", err)
		}
		var bit gpio.Level
		if i < 24 {
			bit = r.dout.Read()
		}
		if err := r.sck.Out(gpio.Low); err != nil {
			return 0, fmt.Errorf("hx711: PD_SCK: %w", err)
		}
		if r.now().Sub(t0) > MaxClockHigh {
			long = true
		}
		if i < 24 {
			v <<= 1
			if bit == gpio.High {
				v |= 1
			}
		}
	}
	if long {
		r.discard = true
		return 0, ErrTiming
	}
	if r.discard {
		r.discard = false
		return 0, fmt.Errorf("%w: first conversion after a clock fault", ErrTiming)
	}
	return int64(int32(v<<8) >> 8), nil
}

// Config configures a Scale.
type Config struct {
	Name   string      // scale name in readings and status (default "hx711")
	DOUT   gpio.PinIn  // HX711 DOUT
	SCK    gpio.PinOut // HX711 PD_SCK
	Gain   Gain        // default GainA128
	Filter FilterConfig
	// TareSamples is how many good readings Tare averages; default 10.
	TareSamples int
	// TareOnStart tares when Run starts (the scale must be empty).
	TareOnStart bool
	// ReadyTimeout: no conversion within it marks the scale
	// disconnected; default 1 s (the HX711 converts at 10 or 80 Hz).
	ReadyTimeout time.Duration
	// MaxRejects consecutive rejected readings mark the scale
	// disconnected (with the last error); default 10.
	MaxRejects int
	Now        func() time.Time // stamps readings and times clock pulses
	OnStatus   func(drivers.Status)
	Log        *slog.Logger
}

// Scale is a load cell on an HX711. It implements scale.Scale.
type Scale struct {
	cfg     Config
	r       *Reader
	tracker *drivers.Tracker
	log     *slog.Logger
	tares   chan tareReq

	mu      sync.Mutex
	f       *Filter // owned by Run; Offset read under mu
	waiting int     // tare requests taken by Run and not answered yet
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

var _ scale.Scale = (*Scale)(nil)

type tareReq struct {
	reply chan tareRes // buffered, 1
}

type tareRes struct {
	offset int64
	err    error
}

// New returns a Scale for cfg; it configures the pins.
func New(cfg Config) (*Scale, error) {
	if cfg.Name == "" {
		cfg.Name = "hx711"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.TareSamples <= 0 {
		cfg.TareSamples = 10
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = time.Second
	}
	if cfg.MaxRejects <= 0 {
		cfg.MaxRejects = 10
	}
	f, err := NewFilter(cfg.Filter)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(cfg.DOUT, cfg.SCK, cfg.Gain, cfg.Now)
	if err != nil {
		return nil, err
	}
	return &Scale{
		cfg:     cfg,
		r:       r,
		f:       f,
		tracker: drivers.NewTracker(cfg.Name, "hx711", cfg.Now, cfg.OnStatus),
		log:     cfg.Log.With("driver", "hx711", "scale", cfg.Name),
		tares:   make(chan tareReq),
	}, nil
}

// Status implements scale.Scale.
func (s *Scale) Status() drivers.Status { return s.tracker.Status() }

// Offset returns the current zero offset in raw counts.
func (s *Scale) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Offset()
}

// Close implements scale.Scale: it stops Run and waits for it.
func (s *Scale) Close() error {
	s.mu.Lock()
	s.closed = true
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

// Tare averages the next TareSamples good readings (with nothing on the
// scale) and makes that the zero offset, which it returns. It is
// executed by Run, which must be running.
func (s *Scale) Tare(ctx context.Context) (int64, error) {
	rq := tareReq{reply: make(chan tareRes, 1)}
	select {
	case s.tares <- rq:
	case <-ctx.Done():
		return 0, fmt.Errorf("hx711: tare: %w", ctx.Err())
	}
	select {
	case res := <-rq.reply:
		return res.offset, res.err
	case <-ctx.Done():
		return 0, fmt.Errorf("hx711: tare: %w", ctx.Err())
	}
}

// Run implements scale.Scale: it reads conversions as the HX711 makes
// them and calls fn with every filtered weight until ctx ends or Close.
// It returns ctx.Err() or drivers.ErrClosed.
func (s *Scale) Run(ctx context.Context, fn func(scale.Weight)) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return drivers.ErrClosed
	}
	if s.done != nil {
		s.mu.Unlock()
		return errors.New("hx711: already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	s.cancel, s.done = cancel, make(chan struct{})
	done := s.done
	s.mu.Unlock()
	defer close(done)
	defer cancel()

	end := func() error {
		s.tracker.Set(false, nil)
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return drivers.ErrClosed
		}
		return ctx.Err()
	}

	var taring []tareReq
	var tareRaws []int64
	if s.cfg.TareOnStart {
		taring = append(taring, tareReq{reply: make(chan tareRes, 1)})
	}
	rejects := 0
	for {
		select {
		case <-ctx.Done():
			for _, rq := range taring {
				rq.reply <- tareRes{err: fmt.Errorf("hx711: tare: %w", drivers.ErrClosed)}
			}
			return end()
		case rq := <-s.tares:
			taring = append(taring, rq)
			s.mu.Lock()
			s.waiting = len(taring)
			s.mu.Unlock()
			continue
		default:
		}
		if err := s.r.WaitReady(ctx, s.cfg.ReadyTimeout); err != nil {
			if ctx.Err() != nil {
				continue
			}
			s.tracker.Set(false, err)
			continue
		}
		raw, err := s.r.ReadRaw()
		if err != nil {
			s.reject(&rejects, err, slog.LevelDebug)
			continue
		}
		if len(taring) > 0 {
			if Check(raw) == nil && raw != RawMax && raw != RawMin {
				tareRaws = append(tareRaws, raw)
			}
			if len(tareRaws) >= s.cfg.TareSamples {
				off, _ := Average(tareRaws)
				s.mu.Lock()
				s.f.SetOffset(off)
				s.waiting = 0
				s.mu.Unlock()
				s.log.Info("tared", "offset", off, "samples", len(tareRaws))
				for _, rq := range taring {
					rq.reply <- tareRes{offset: off}
				}
				taring, tareRaws = nil, nil
			}
		}
		w, ok, err := s.f.Add(raw)
		if err != nil {
			s.reject(&rejects, err, slog.LevelDebug)
			continue
		}
		rejects = 0
		s.tracker.Set(true, nil)
		if ok {
			w.Scale = s.cfg.Name
			w.At = s.cfg.Now()
			fn(w)
		}
	}
}

func (s *Scale) reject(n *int, err error, level slog.Level) {
	*n++
	s.log.Log(context.Background(), level, "reading rejected", "err", err, "in a row", *n)
	if *n >= s.cfg.MaxRejects {
		s.tracker.Set(false, err)
	}
}

// tareWaiting returns the tare requests Run is collecting samples for.
func (s *Scale) tareWaiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}
