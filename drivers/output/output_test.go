package output

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

var t0 = time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)

const ms = time.Millisecond

// recPin is a gpiotest.Pin that records every level written with the
// fake clock's time.
type recPin struct {
	*gpiotest.Pin
	fc   *fakeClock
	mu   sync.Mutex
	log  []string
	fail error
}

func (r *recPin) Out(l gpio.Level) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.log = append(r.log, fmt.Sprintf("%v@%v", l, r.fc.Now().Sub(t0)))
	return r.Pin.Out(l)
}

func (r *recPin) entries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func newRec() *recPin {
	fc := newFakeClock(t0)
	return &recPin{Pin: &gpiotest.Pin{N: "GPIO18"}, fc: fc}
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

// step advances the fake clock by d and waits until the pin log has n
// entries.
func (r *recPin) step(t *testing.T, d time.Duration, n int) {
	t.Helper()
	r.fc.Advance(d)
	waitFor(t, fmt.Sprintf("%d pin writes", n), func() bool { return len(r.entries()) >= n })
}

func wantLog(t *testing.T, r *recPin, want ...string) {
	t.Helper()
	if got := r.entries(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("pin writes:\n got %v\nwant %v", got, want)
	}
}

func newPlayer(t *testing.T, r *recPin, cfg Config) *Player {
	t.Helper()
	cfg.Clock = r.fc
	p, err := NewPlayer(r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestAlarmRepeatsUntilStopped(t *testing.T) {
	r := newRec()
	p := newPlayer(t, r, Config{})
	if err := p.Start(Alarm()); err != nil {
		t.Fatal(err)
	}
	if p.Playing() != "alarm" || !p.On() {
		t.Errorf("playing %q on %v", p.Playing(), p.On())
	}
	for i := 1; i <= 5; i++ {
		r.step(t, 200*ms, 2+i)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	wantLog(t, r, "Low@0s", "High@0s", "Low@200ms", "High@400ms", "Low@600ms", "High@800ms", "Low@1s")
	// Stop at 1 s while off: nothing more to write; later time passes quietly.
	r.fc.Advance(time.Second)
	time.Sleep(20 * ms)
	wantLog(t, r, "Low@0s", "High@0s", "Low@200ms", "High@400ms", "Low@600ms", "High@800ms", "Low@1s")
	if p.Playing() != "" || p.On() {
		t.Errorf("after Stop: playing %q on %v", p.Playing(), p.On())
	}
}

func TestLateWakeUpDoesNotStretchThePattern(t *testing.T) {
	r := newRec()
	p := newPlayer(t, r, Config{})
	if err := p.Start(Alarm()); err != nil {
		t.Fatal(err)
	}
	// The clock jumps 500 ms at once: the steps at 200 and 400 ms are
	// played late, and the next change is still due at 600 ms.
	r.step(t, 500*ms, 4)
	r.step(t, 100*ms, 5)
	wantLog(t, r, "Low@0s", "High@0s", "Low@500ms", "High@500ms", "Low@600ms")
}

func TestOKAndErrorEndOff(t *testing.T) {
	r := newRec()
	p := newPlayer(t, r, Config{})
	if err := p.Start(OK()); err != nil {
		t.Fatal(err)
	}
	r.step(t, 100*ms, 3)
	waitFor(t, "ok done", func() bool { return p.Playing() == "" })
	wantLog(t, r, "Low@0s", "High@0s", "Low@100ms")

	if err := p.Start(Error()); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		r.step(t, 100*ms, 4+i)
	}
	waitFor(t, "error done", func() bool { return p.Playing() == "" })
	wantLog(t, r, "Low@0s", "High@0s", "Low@100ms",
		"High@100ms", "Low@200ms", "High@300ms", "Low@400ms", "High@500ms", "Low@600ms")
}

func TestNewPatternReplacesTheRunningOne(t *testing.T) {
	r := newRec()
	p := newPlayer(t, r, Config{Name: "led"})
	if err := p.Start(Blink(300*ms, 300*ms)); err != nil {
		t.Fatal(err)
	}
	r.step(t, 100*ms, 2)
	// At 100 ms the OK beep replaces the blink: still on, off at 200 ms;
	// the blink's change due at 300 ms never happens.
	if err := p.Start(OK()); err != nil {
		t.Fatal(err)
	}
	if p.Playing() != "ok" {
		t.Errorf("playing %q", p.Playing())
	}
	r.step(t, 100*ms, 3)
	r.fc.Advance(500 * ms)
	time.Sleep(20 * ms)
	wantLog(t, r, "Low@0s", "High@0s", "Low@200ms")
}

func TestActiveLowAndRelay(t *testing.T) {
	r := newRec()
	rl, err := NewRelay(r, Config{ActiveLow: true, Clock: r.fc})
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	if err := rl.On(); err != nil {
		t.Fatal(err)
	}
	if !rl.IsOn() {
		t.Error("relay not on")
	}
	r.fc.Advance(time.Hour) // on holds
	time.Sleep(20 * ms)
	if err := rl.Off(); err != nil {
		t.Fatal(err)
	}
	if err := rl.Pulse(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	r.step(t, 2*time.Second, 5)
	waitFor(t, "pulse done", func() bool { return !rl.IsOn() })
	wantLog(t, r, "High@0s", "Low@0s", "High@1h0m0s", "Low@1h0m0s", "High@1h0m2s")
	if err := rl.Pulse(0); err == nil {
		t.Error("zero pulse accepted")
	}
	if st := rl.Status(); !st.Connected || st.Name != "relay" {
		t.Errorf("status = %+v", st)
	}
	// A pulse ended early by Off.
	if err := rl.Pulse(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := rl.Off(); err != nil {
		t.Fatal(err)
	}
	r.fc.Advance(2 * time.Second)
	time.Sleep(20 * ms)
	wantLog(t, r, "High@0s", "Low@0s", "High@1h0m0s", "Low@1h0m0s", "High@1h0m2s", "Low@1h0m2s", "High@1h0m2s")
}

func TestWriteErrorIsReportedAndCloseIsIdempotent(t *testing.T) {
	r := newRec()
	p := newPlayer(t, r, Config{Name: "buzzer"})
	r.mu.Lock()
	r.fail = errors.New("gpio gone")
	r.mu.Unlock()
	if err := p.Start(OK()); err == nil || !strings.Contains(err.Error(), "gpio gone") {
		t.Errorf("Start = %v", err)
	}
	if st := p.Status(); st.Connected || !strings.Contains(st.Err, "buzzer") {
		t.Errorf("status = %+v", st)
	}
	r.mu.Lock()
	r.fail = nil
	r.mu.Unlock()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if st := p.Status(); !st.Connected || st.Err != "" {
		t.Errorf("status after recovery = %+v", st)
	}
	if err := p.Start(Alarm()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if p.On() {
		t.Error("on after Close")
	}
	if err := p.Start(OK()); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close = %v", err)
	}
	if err := p.Stop(); !errors.Is(err, ErrClosed) {
		t.Errorf("Stop after Close = %v", err)
	}
	if _, err := NewPlayer(nil, Config{}); err == nil {
		t.Error("nil pin accepted")
	}
}

func TestPatterns(t *testing.T) {
	for _, name := range []string{"alarm", "ok", "error", "blink", "fastblink", "heartbeat", "on"} {
		p, err := Named(name)
		if err != nil || p.Name != name {
			t.Errorf("Named(%q) = %+v, %v", name, p, err)
			continue
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Named("disco"); err == nil {
		t.Error("unknown pattern accepted")
	}
	bad := []Pattern{
		{Name: "empty"},
		{Name: "negative", Steps: []Step{{On: true, For: -ms}}},
		{Name: "hold in the middle", Steps: []Step{{On: true}, {On: false, For: ms}}},
		{Name: "repeat hold", Repeat: true, Steps: []Step{{On: true}}},
	}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", p.Name)
		}
	}
	r := newRec()
	pl := newPlayer(t, r, Config{})
	if err := pl.Start(bad[0]); err == nil {
		t.Error("Start accepted an empty pattern")
	}
}
