package hx711

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/internal/scaletest"
)

// chip simulates an HX711 behind gpiotest pins: DOUT goes low with an
// edge when a conversion is presented; each rising edge of PD_SCK puts
// the next data bit on DOUT (MSB first, HX711 datasheet "Serial
// Interface"); the 25th pulse sets DOUT high again.
type chip struct {
	dout *doutPin
	sck  *sckPin

	mu     sync.Mutex
	value  uint32
	bit    int
	pulses int
	done   chan int // pulse count of each completed read
}

// doutPin is a gpiotest.Pin whose WaitForEdge only reports the edge:
// gpiotest's own sets the pin to the edge's level, which a stale edge
// would turn into a phantom "ready" that real hardware never shows.
type doutPin struct {
	gpiotest.Pin
}

func (p *doutPin) WaitForEdge(timeout time.Duration) bool {
	select {
	case <-p.EdgesChan:
		return true
	case <-time.After(timeout):
		return false
	}
}

type sckPin struct {
	gpiotest.Pin
	c *chip
}

// Out implements gpio.PinOut: the chip reacts to the clock.
func (p *sckPin) Out(l gpio.Level) error {
	prev := p.Pin.Read()
	if err := p.Pin.Out(l); err != nil {
		return err
	}
	if l == gpio.High && prev == gpio.Low {
		p.c.rise()
	}
	if l == gpio.Low && prev == gpio.High {
		p.c.fall()
	}
	return nil
}

func newChip() *chip {
	c := &chip{
		dout: &doutPin{Pin: gpiotest.Pin{N: "GPIO5", Num: 5, EdgesChan: make(chan gpio.Level, 1)}},
		done: make(chan int, 100),
	}
	c.sck = &sckPin{Pin: gpiotest.Pin{N: "GPIO6", Num: 6}, c: c}
	c.bit = 99 // nothing presented
	return c
}

func (c *chip) rise() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pulses++
	if c.bit < 24 {
		c.dout.Out(gpio.Level(c.value>>(23-c.bit)&1 == 1))
		c.bit++
		return
	}
	c.dout.Out(gpio.High) // 25th pulse and after: not ready
}

func (c *chip) fall() {}

// present makes a conversion of raw ready.
func (c *chip) present(raw int64) {
	c.mu.Lock()
	c.value, c.bit, c.pulses = uint32(raw)&0xFFFFFF, 0, 0
	c.mu.Unlock()
	c.dout.Out(gpio.Low)
	select {
	case c.dout.EdgesChan <- gpio.Low:
	default:
	}
}

// pulsesSoFar returns the clock pulses since the last present.
func (c *chip) pulsesSoFar() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pulses
}

func TestReadRawBits(t *testing.T) {
	for _, tt := range []struct {
		gain   Gain
		pulses int
	}{{GainA128, 25}, {GainB32, 26}, {GainA64, 27}} {
		c := newChip()
		// A stopped clock: every pulse takes no time (the race detector
		// makes real pulses longer than the chip's 60 µs).
		r, err := NewReader(c.dout, c.sck, tt.gain, func() time.Time { return time.Unix(0, 0) })
		if err != nil {
			t.Fatal(err)
		}
		if c.dout.Read() != gpio.High || c.dout.P != gpio.PullUp {
			t.Fatal("DOUT not configured with pull-up")
		}
		for _, raw := range []int64{0, 1, -1, 123456, -123456, RawMax, RawMin, 0x555555, -0x2AAAAB} {
			c.present(raw)
			if err := r.WaitReady(context.Background(), time.Second); err != nil {
				t.Fatal(err)
			}
			got, err := r.ReadRaw()
			if err != nil || got != raw {
				t.Fatalf("gain %d: ReadRaw = %d, %v; want %d", tt.gain, got, err, raw)
			}
			if p := c.pulsesSoFar(); p != tt.pulses {
				t.Fatalf("gain %d: %d clock pulses, want %d", tt.gain, p, tt.pulses)
			}
			if c.dout.Read() != gpio.High {
				t.Fatal("DOUT not high after the read")
			}
		}
	}
	if _, err := NewReader(newChip().dout, newChip().sck, Gain(100), nil); err == nil {
		t.Fatal("gain 100 accepted")
	}
}

func TestWaitReadyTimeout(t *testing.T) {
	c := newChip()
	r, _ := NewReader(c.dout, c.sck, GainA128, nil)
	start := time.Now()
	if err := r.WaitReady(context.Background(), 60*time.Millisecond); !errors.Is(err, ErrNotReady) {
		t.Fatalf("WaitReady = %v", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > time.Second {
		t.Fatalf("WaitReady took %v", d)
	}
	// A stale edge (DOUT high again) does not count as ready.
	c.dout.EdgesChan <- gpio.High
	if err := r.WaitReady(context.Background(), 30*time.Millisecond); !errors.Is(err, ErrNotReady) {
		t.Fatalf("WaitReady after a stale edge = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.WaitReady(ctx, time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitReady with a cancelled ctx = %v", err)
	}
}

// A clock pulse stretched beyond 60 µs (the thread was preempted while
// PD_SCK was high: the HX711 powers down) discards the reading and the
// next one (taken at the reset gain).
func TestReadRawTiming(t *testing.T) {
	c := newChip()
	var calls atomic.Int64
	base := time.Unix(0, 0)
	now := func() time.Time {
		n := calls.Add(1)
		d := time.Duration(n) * time.Microsecond
		if n >= 22 { // from the end of the 11th pulse on
			d += 100 * time.Microsecond
		}
		return base.Add(d)
	}
	r, _ := NewReader(c.dout, c.sck, GainA128, now)
	c.present(1000)
	if _, err := r.ReadRaw(); !errors.Is(err, ErrTiming) {
		t.Fatalf("stretched pulse: %v", err)
	}
	calls.Store(1000)
	c.present(1000)
	if _, err := r.ReadRaw(); !errors.Is(err, ErrTiming) {
		t.Fatalf("read after the fault: %v", err)
	}
	c.present(1000)
	if v, err := r.ReadRaw(); err != nil || v != 1000 {
		t.Fatalf("third read = %d, %v", v, err)
	}
}

func TestScaleRun(t *testing.T) {
	c := newChip()
	var logs scaletest.Logs
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := New(Config{
		Name: "tray", DOUT: c.dout, SCK: c.sck,
		Filter:       FilterConfig{Offset: 8000, CountsPerGram: 100, Window: 3, StableWindow: 3},
		TareSamples:  4,
		ReadyTimeout: 150 * time.Millisecond,
		Now:          func() time.Time { return clock },
		Log:          logs.Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	rd := scaletest.NewReadings(1000)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, rd.Fn) }()

	// feed presents raw values one by one, each after the previous read.
	feed := func(raws ...int64) {
		t.Helper()
		for _, raw := range raws {
			c.present(raw)
			deadline := time.Now().Add(2 * time.Second)
			for c.pulsesSoFar() < 25 {
				if time.Now().After(deadline) {
					t.Fatalf("raw %d never read", raw)
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	next := func() scale.Weight {
		t.Helper()
		return rd.Next(t, 2*time.Second)
	}

	// 250 g with garbage mixed in: the garbage never shows.
	feed(33000, 33010, -1, 33020, RawMax, 33005, 33008)
	var last scale.Weight
	for i := 0; i < 3; i++ { // 5 good values, median window 3
		w := next()
		if w.Grams != 250 || w.Scale != "tray" || !w.At.Equal(clock) {
			t.Fatalf("reading %+v", w)
		}
		last = w
	}
	if last.State != scale.Stable {
		t.Fatalf("last reading %+v, want stable", last)
	}
	rd.None(t, 30*time.Millisecond)
	if !s.Status().Connected {
		t.Fatalf("status %+v", s.Status())
	}
	logs.Wait(t, time.Second, "rejected", "all ones")

	// Tare with the scale emptied at raw 9000.
	tared := make(chan int64, 1)
	go func() {
		off, err := s.Tare(ctx)
		if err != nil {
			t.Error(err)
		}
		tared <- off
	}()
	for s.tareWaiting() == 0 {
		time.Sleep(time.Millisecond)
	}
	feed(9000, 9001, 9001, 9002)
	select {
	case off := <-tared:
		if off != 9001 || s.Offset() != 9001 {
			t.Fatalf("tare offset %d (Offset %d), want 9001", off, s.Offset())
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Tare did not return")
	}
	for len(rd.C) > 0 {
		<-rd.C
	}
	feed(9001, 9000, 9001)
	if w := next(); w.Grams != 0 {
		t.Fatalf("after tare %+v", w)
	}

	// Overload: the ADC saturates for good.
	feed(RawMax, RawMax, RawMax)
	for {
		w := next()
		if w.State == scale.Overload {
			break
		}
		if w.Grams != 0 {
			t.Fatalf("reading %+v before overload", w)
		}
	}

	// No conversion: reported disconnected, then connected again.
	st := scaletest.WaitStatus(t, s.Status, false)
	if !strings.Contains(st.Err, "DOUT did not go low") {
		t.Fatalf("status %+v", st)
	}
	feed(9001)
	scaletest.WaitStatus(t, s.Status, true)

	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, drivers.ErrClosed) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx, rd.Fn); !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run after Close = %v", err)
	}
	if _, err := s.Tare(ctxTimeout(t, 50*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Tare after Close = %v", err)
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestNewErrors(t *testing.T) {
	c := newChip()
	if _, err := New(Config{DOUT: c.dout, SCK: c.sck}); err == nil {
		t.Fatal("no calibration factor accepted")
	}
	if _, err := New(Config{Filter: FilterConfig{CountsPerGram: 1}}); err == nil {
		t.Fatal("no pins accepted")
	}
}
