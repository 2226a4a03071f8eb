package wiegand

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
)

var t0 = time.Date(2025, 3, 4, 11, 30, 0, 0, time.UTC)

// rig runs a Reader on two gpiotest pins with a fake clock. Edges are
// injected one at a time; after each the test waits until the reader
// counted the pulse, so the fake time stamped on it is exact.
type rig struct {
	t      *testing.T
	d0, d1 *gpiotest.Pin
	fc     *fakeClock
	r      *Reader
	reads  chan card.Read
	bad    chan error
	cancel context.CancelFunc
	done   chan error
}

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	g := &rig{
		t:     t,
		d0:    &gpiotest.Pin{N: "GPIO5", Num: 5, EdgesChan: make(chan gpio.Level), Clock: clockwork.NewRealClock()},
		d1:    &gpiotest.Pin{N: "GPIO6", Num: 6, EdgesChan: make(chan gpio.Level), Clock: clockwork.NewRealClock()},
		fc:    newFakeClock(t0),
		reads: make(chan card.Read, 16),
		bad:   make(chan error, 16),
		done:  make(chan error, 1),
	}
	cfg.Clock = g.fc
	cfg.Poll = 10 * time.Millisecond
	cfg.OnBadFrame = func(err error) { g.bad <- err }
	r, err := New(g.d0, g.d1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	g.r = r
	if g.d0.P != gpio.PullUp || g.d1.P != gpio.PullUp {
		t.Errorf("pulls = %v, %v; want pull-ups", g.d0.P, g.d1.P)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	go func() { g.done <- r.Run(ctx, func(rd card.Read) { g.reads <- rd }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-g.done:
		case <-time.After(2 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return g
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// send injects bits as falling edges on D0 (0) or D1 (1), advancing the
// fake clock by interval between bits (not after the last one).
func (g *rig) send(bits []bool, interval time.Duration) {
	g.t.Helper()
	for i, b := range bits {
		if i > 0 {
			g.fc.Advance(interval)
		}
		pin := g.d0
		if b {
			pin = g.d1
		}
		want := g.r.Stats().Pulses + 1
		select {
		case pin.EdgesChan <- gpio.Low:
		case <-time.After(2 * time.Second):
			g.t.Fatal("reader does not take edges")
		}
		waitFor(g.t, "pulse counted", func() bool { return g.r.Stats().Pulses == want })
	}
}

func (g *rig) read() card.Read {
	g.t.Helper()
	select {
	case rd := <-g.reads:
		return rd
	case <-time.After(2 * time.Second):
		g.t.Fatal("no read")
	}
	return card.Read{}
}

func (g *rig) noRead() {
	g.t.Helper()
	select {
	case rd := <-g.reads:
		g.t.Fatalf("unexpected read %+v", rd)
	case <-time.After(30 * time.Millisecond):
	}
}

func (g *rig) badFrame() error {
	g.t.Helper()
	select {
	case err := <-g.bad:
		return err
	case <-time.After(2 * time.Second):
		g.t.Fatal("bad frame not reported")
	}
	return nil
}

const w26 = "1 01111011 1011001001101110 1" // facility 123, card 45678

func TestReaderW26FrameEndsAfterGap(t *testing.T) {
	g := newRig(t, Config{Name: "gate"})
	g.send(bitsOf(t, w26), 2*time.Millisecond)
	last := g.fc.Now()

	g.fc.Advance(DefaultGap - time.Nanosecond)
	g.noRead()
	g.fc.Advance(time.Nanosecond)
	rd := g.read()
	want := card.Read{Credential: "7BB26E", Reader: "gate", At: last}
	if rd != want {
		t.Errorf("read = %+v, want %+v", rd, want)
	}
	st := g.r.Stats()
	if st.Pulses != 26 || st.Frames != 1 || st.BadFrames != 0 {
		t.Errorf("stats = %+v", st)
	}
	if s := g.r.Status(); !s.Connected || s.Err != "" || s.Driver != "wiegand" || s.Name != "gate" {
		t.Errorf("status = %+v", s)
	}
}

func TestReaderW34LittleEndianAndSlowBits(t *testing.T) {
	g := newRig(t, Config{Order: card.LittleEndian, Gap: 20 * time.Millisecond})
	// A slow reader: bits 19 ms apart still form one frame with a 20 ms gap.
	g.send(bitsOf(t, "1 0000010011010010 1101110111010101 0"), 19*time.Millisecond)
	g.noRead()
	g.fc.Advance(20 * time.Millisecond)
	if rd := g.read(); rd.Credential != "D5DDD204" {
		t.Errorf("credential = %q, want D5DDD204 (04D2DDD5 little-endian)", rd.Credential)
	}
}

func TestReaderTwoFramesSeparatedByTheGap(t *testing.T) {
	g := newRig(t, Config{})
	a, _ := EncodeFacilityCard(26, 1, 2)
	b, _ := EncodeFacilityCard(26, 3, 4)
	g.send(a, time.Millisecond)
	// The next frame starts exactly one gap after the last bit: the first
	// frame is complete, the pulse belongs to the next one.
	g.fc.Advance(DefaultGap)
	g.send(b, time.Millisecond)
	g.fc.Advance(DefaultGap)
	if rd := g.read(); rd.Credential != "010002" {
		t.Errorf("first = %q", rd.Credential)
	}
	if rd := g.read(); rd.Credential != "030004" {
		t.Errorf("second = %q", rd.Credential)
	}
	if st := g.r.Stats(); st.Frames != 2 || st.BadFrames != 0 || st.Pulses != 52 {
		t.Errorf("stats = %+v", st)
	}
}

func TestReaderBadFramesAreReportedNotPassedOn(t *testing.T) {
	g := newRig(t, Config{})
	// Parity error: the trailing parity bit flipped.
	g.send(bitsOf(t, "1 01111011 1011001001101110 0"), 2*time.Millisecond)
	g.fc.Advance(DefaultGap)
	if err := g.badFrame(); !errors.Is(err, ErrParity) {
		t.Errorf("bad frame error = %v, want parity", err)
	}
	g.noRead()
	st := g.r.Status()
	if !st.Connected || !strings.Contains(st.Err, "parity") {
		t.Errorf("status after a bad frame = %+v", st)
	}

	// Noise: a single pulse.
	g.send(bitsOf(t, "0"), 0)
	g.fc.Advance(DefaultGap)
	if err := g.badFrame(); !errors.Is(err, ErrLength) || !strings.Contains(err.Error(), "1 bits") {
		t.Errorf("noise error = %v", err)
	}

	// A burst of 70 pulses: more than any frame.
	burst := make([]bool, 70)
	g.send(burst, 100*time.Microsecond)
	g.fc.Advance(DefaultGap)
	if err := g.badFrame(); !errors.Is(err, ErrLength) || !strings.Contains(err.Error(), "70 bits") {
		t.Errorf("burst error = %v", err)
	}

	// Truncated frame (a lost pulse).
	g.send(bitsOf(t, w26)[:25], 2*time.Millisecond)
	g.fc.Advance(DefaultGap)
	if err := g.badFrame(); !errors.Is(err, ErrLength) {
		t.Errorf("truncated error = %v", err)
	}
	g.noRead()

	// The next good frame is delivered and clears the status error.
	g.send(bitsOf(t, w26), 2*time.Millisecond)
	g.fc.Advance(DefaultGap)
	if rd := g.read(); rd.Credential != "7BB26E" {
		t.Errorf("credential = %q", rd.Credential)
	}
	if st := g.r.Status(); st.Err != "" {
		t.Errorf("status error not cleared: %+v", st)
	}
	s := g.r.Stats()
	if s.BadFrames != 4 || s.Frames != 1 || !strings.Contains(s.LastError, "25 bits") {
		t.Errorf("stats = %+v", s)
	}
}

func TestReaderConfiguredBits(t *testing.T) {
	g := newRig(t, Config{Bits: 26})
	g.send(bitsOf(t, "1 0000010011010010 1101110111010101 0"), time.Millisecond)
	g.fc.Advance(DefaultGap)
	if err := g.badFrame(); !errors.Is(err, ErrLength) || !strings.Contains(err.Error(), "configured for 26") {
		t.Errorf("error = %v", err)
	}
	g.noRead()
}

func TestReaderCloseAndErrors(t *testing.T) {
	g := newRig(t, Config{})
	waitFor(t, "Run started", func() bool {
		g.r.mu.Lock()
		defer g.r.mu.Unlock()
		return g.r.running
	})
	if err := g.r.Run(context.Background(), func(card.Read) {}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run = %v", err)
	}
	if err := g.r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case err := <-g.done:
		if !errors.Is(err, drivers.ErrClosed) {
			t.Errorf("Run after Close = %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	g.done <- nil // for the cleanup
	if err := g.r.Run(context.Background(), func(card.Read) {}); !errors.Is(err, drivers.ErrClosed) {
		t.Errorf("Run on a closed reader = %v", err)
	}

	if _, err := New(nil, g.d1, Config{}); err == nil {
		t.Error("nil D0 accepted")
	}
	if _, err := New(g.d0, g.d1, Config{Bits: 30}); err == nil {
		t.Error("bits 30 accepted")
	}
	if _, err := New(g.d0, g.d1, Config{Order: "middle"}); err == nil {
		t.Error("bad order accepted")
	}
}

func TestReaderRunReturnsContextError(t *testing.T) {
	d0 := &gpiotest.Pin{N: "D0", EdgesChan: make(chan gpio.Level), Clock: clockwork.NewRealClock()}
	d1 := &gpiotest.Pin{N: "D1", EdgesChan: make(chan gpio.Level), Clock: clockwork.NewRealClock()}
	r, err := New(d0, d1, Config{Poll: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Run(ctx, func(card.Read) {}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want deadline exceeded", err)
	}
}
