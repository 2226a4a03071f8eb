package gpiobutton

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
)

var t0 = time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)

// rig runs a Source on gpiotest pins with a fake clock. The test moves
// the fake clock to an instant, injects an edge and waits until the
// source counted it, so every edge is stamped with exactly that instant.
type rig struct {
	t       *testing.T
	pins    map[string]*gpiotest.Pin
	idx     map[string]int
	fc      *fakeClock
	s       *Source
	presses chan button.Press
	done    chan error
}

func newPin(name string) *gpiotest.Pin {
	return &gpiotest.Pin{N: name, EdgesChan: make(chan gpio.Level), Clock: clockwork.NewRealClock()}
}

// newRig builds a source over buttons "id:pin"; before, if not nil, runs
// after New and before Run (to set initial pin levels).
func newRig(t *testing.T, cfg Config, ids []string, before func(g *rig)) *rig {
	t.Helper()
	g := &rig{t: t, pins: map[string]*gpiotest.Pin{}, idx: map[string]int{}, fc: newFakeClock(t0),
		presses: make(chan button.Press, 64), done: make(chan error, 1)}
	var btns []Button
	for i, id := range ids {
		p := newPin("GPIO" + id)
		g.pins[id], g.idx[id] = p, i
		btns = append(btns, Button{ID: id, Pin: p})
	}
	cfg.Clock = g.fc
	cfg.Poll = 10 * time.Millisecond
	s, err := New(btns, cfg)
	if err != nil {
		t.Fatal(err)
	}
	g.s = s
	if before != nil {
		before(g)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { g.done <- s.Run(ctx, func(p button.Press) { g.presses <- p }) }()
	waitFor(t, "Run started", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.running
	})
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

// at moves the fake clock to t0+d.
func (g *rig) at(d time.Duration) {
	g.t.Helper()
	if now := g.fc.Now(); t0.Add(d).Before(now) {
		g.t.Fatalf("clock cannot go back from %v to %v", now.Sub(t0), d)
	}
	g.fc.Advance(t0.Add(d).Sub(g.fc.Now()))
}

func (g *rig) state(id string) State { return g.s.States()[g.idx[id]] }

// edge injects one edge to level l on button id at t0+d.
func (g *rig) edge(id string, d time.Duration, l gpio.Level) {
	g.t.Helper()
	g.at(d)
	want := g.state(id).Edges + 1
	select {
	case g.pins[id].EdgesChan <- l:
	case <-time.After(2 * time.Second):
		g.t.Fatal("source does not take edges")
	}
	waitFor(g.t, "edge counted", func() bool { return g.state(id).Edges == want })
}

func (g *rig) press() button.Press {
	g.t.Helper()
	select {
	case p := <-g.presses:
		return p
	case <-time.After(2 * time.Second):
		g.t.Fatal("no press")
	}
	return button.Press{}
}

func (g *rig) expect(want ...button.Press) {
	g.t.Helper()
	for _, w := range want {
		if p := g.press(); p != w {
			g.t.Errorf("press = %s %s at %v, want %s %s at %v", p.Button, p.Kind, p.At.Sub(t0), w.Button, w.Kind, w.At.Sub(t0))
		}
	}
}

func (g *rig) none() {
	g.t.Helper()
	select {
	case p := <-g.presses:
		g.t.Errorf("unexpected press %s %s at %v", p.Button, p.Kind, p.At.Sub(t0))
	case <-time.After(30 * time.Millisecond):
	}
}

func short(id string, d time.Duration) button.Press {
	return button.Press{Button: id, Kind: button.Short, At: t0.Add(d)}
}

func long(id string, d time.Duration) button.Press {
	return button.Press{Button: id, Kind: button.Long, At: t0.Add(d)}
}

const ms = time.Millisecond

func TestBounceBurstWithinLockoutIsOnePress(t *testing.T) {
	g := newRig(t, Config{}, []string{"hall"}, nil)
	if p := g.pins["hall"]; p.P != gpio.PullUp {
		t.Errorf("pull = %v, want pull-up", p.P)
	}
	// The first edge is accepted at once: the press arrives before the
	// fake clock moves on.
	g.edge("hall", 0, gpio.Low)
	g.expect(short("hall", 0))
	for i, l := range []gpio.Level{gpio.High, gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low} {
		g.edge("hall", time.Duration(i+1)*ms, l)
	}
	g.at(50 * ms) // lock-out over: the level is read again, still pressed
	g.none()
	// Release with bounces, then a new press.
	g.edge("hall", 500*ms, gpio.High)
	g.edge("hall", 501*ms, gpio.Low)
	g.edge("hall", 502*ms, gpio.High)
	g.at(550 * ms)
	waitFor(t, "released", func() bool { return !g.state("hall").Pressed })
	g.edge("hall", 1000*ms, gpio.Low)
	g.expect(short("hall", 1000*ms))
	g.none()
	st := g.state("hall")
	if st.Presses != 2 || st.Edges != 11 || !st.Pressed || st.Stuck || st.Since != t0.Add(1000*ms) {
		t.Errorf("state = %+v", st)
	}
}

func TestEdgesAtTheLockoutBoundary(t *testing.T) {
	g := newRig(t, Config{Lockout: 50 * ms}, []string{"hall"}, nil)
	g.edge("hall", 0, gpio.Low)
	g.expect(short("hall", 0))
	// A release within the lock-out is ignored; when the lock-out ends
	// the level is read again and the release takes effect at 50 ms.
	g.edge("hall", 10*ms, gpio.High)
	g.at(50 * ms)
	waitFor(t, "released at 50 ms", func() bool {
		st := g.state("hall")
		return !st.Pressed && st.Since.Equal(t0.Add(50*ms))
	})
	// The release's lock-out ends at 100 ms: a press exactly then counts.
	g.edge("hall", 100*ms, gpio.Low)
	g.expect(short("hall", 100*ms))
	// A release at 150 ms (lock-out of the press just ended) counts too.
	g.edge("hall", 150*ms, gpio.High)
	// A press 1 ns before the end of that lock-out is ignored as a
	// bounce, but the level read at 200 ms finds the button pressed.
	g.edge("hall", 200*ms-time.Nanosecond, gpio.Low)
	g.none()
	g.at(200 * ms)
	g.expect(short("hall", 200*ms))
	if st := g.state("hall"); st.Presses != 3 {
		t.Errorf("presses = %d, want 3", st.Presses)
	}
}

func TestLongPress(t *testing.T) {
	g := newRig(t, Config{Long: 3 * time.Second}, []string{"hall"}, nil)
	g.edge("hall", 0, gpio.Low)
	g.expect(short("hall", 0))
	g.at(3*time.Second - time.Nanosecond)
	g.none()
	g.at(3 * time.Second)
	g.expect(long("hall", 3*time.Second))
	g.at(10 * time.Second)
	g.none() // one long press per press
	g.edge("hall", 11*time.Second, gpio.High)
	// A short press: no long press.
	g.edge("hall", 12*time.Second, gpio.Low)
	g.expect(short("hall", 12*time.Second))
	g.edge("hall", 12*time.Second+500*ms, gpio.High)
	g.at(20 * time.Second)
	g.none()
}

func TestStuckButton(t *testing.T) {
	g := newRig(t, Config{Stuck: time.Minute}, []string{"hall", "toilet"}, nil)
	g.edge("hall", 0, gpio.Low)
	g.expect(short("hall", 0))
	g.at(3 * time.Second)
	g.expect(long("hall", 3*time.Second))
	g.at(time.Minute - time.Nanosecond)
	if st := g.s.Status(); st.Err != "" {
		t.Errorf("stuck too early: %+v", st)
	}
	g.at(time.Minute)
	waitFor(t, "stuck status", func() bool { return strings.Contains(g.s.Status().Err, "stuck") })
	if st := g.s.Status(); !st.Connected || !strings.Contains(st.Err, "hall") || strings.Contains(st.Err, "toilet") {
		t.Errorf("status = %+v", st)
	}
	if !g.state("hall").Stuck {
		t.Error("state not stuck")
	}
	// Held on: no repeated presses. The other button still works.
	g.at(5 * time.Minute)
	g.edge("toilet", 5*time.Minute, gpio.Low)
	g.expect(short("toilet", 5*time.Minute))
	g.edge("toilet", 5*time.Minute+time.Second, gpio.High)
	g.none()
	// Released: the error clears and the next press counts.
	g.edge("hall", 6*time.Minute, gpio.High)
	waitFor(t, "status cleared", func() bool { return g.s.Status().Err == "" })
	if g.state("hall").Stuck {
		t.Error("still stuck after release")
	}
	g.edge("hall", 7*time.Minute, gpio.Low)
	g.expect(short("hall", 7*time.Minute))
}

func TestPressedAtStartIsStuck(t *testing.T) {
	g := newRig(t, Config{}, []string{"hall"}, func(g *rig) {
		p := g.pins["hall"]
		p.Lock()
		p.L = gpio.Low // held down (or shorted) when the gateway starts
		p.Unlock()
	})
	if st := g.s.Status(); !strings.Contains(st.Err, "stuck: hall") {
		t.Errorf("status = %+v", st)
	}
	g.at(10 * time.Second)
	g.none() // neither a press nor a long press
	g.edge("hall", 11*time.Second, gpio.High)
	waitFor(t, "status cleared", func() bool { return g.s.Status().Err == "" })
	g.edge("hall", 12*time.Second, gpio.Low)
	g.expect(short("hall", 12*time.Second))
}

func TestActiveHigh(t *testing.T) {
	g := newRig(t, Config{ActiveHigh: true}, []string{"bed"}, nil)
	if p := g.pins["bed"]; p.P != gpio.PullDown {
		t.Errorf("pull = %v, want pull-down", p.P)
	}
	g.edge("bed", 0, gpio.High)
	g.expect(short("bed", 0))
	g.edge("bed", 100*ms, gpio.Low)
	g.edge("bed", 200*ms, gpio.High)
	g.expect(short("bed", 200*ms))
}

func TestCloseAndErrors(t *testing.T) {
	g := newRig(t, Config{}, []string{"hall"}, nil)
	if err := g.s.Run(context.Background(), func(button.Press) {}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run = %v", err)
	}
	if err := g.s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-g.done:
		if !errors.Is(err, drivers.ErrClosed) {
			t.Errorf("Run after Close = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	g.done <- nil
	if err := g.s.Run(context.Background(), func(button.Press) {}); !errors.Is(err, drivers.ErrClosed) {
		t.Errorf("Run on closed source = %v", err)
	}

	if _, err := New(nil, Config{}); err == nil {
		t.Error("no buttons accepted")
	}
	p := newPin("GPIO1")
	if _, err := New([]Button{{ID: "a", Pin: p}, {ID: "a", Pin: newPin("GPIO2")}}, Config{}); err == nil {
		t.Error("duplicate id accepted")
	}
	if _, err := New([]Button{{ID: "a"}}, Config{}); err == nil {
		t.Error("nil pin accepted")
	}
	s, err := New([]Button{{Pin: p}}, Config{Poll: 5 * ms})
	if err != nil {
		t.Fatal(err)
	}
	if s.States()[0].ID != "GPIO1" {
		t.Errorf("default id = %q", s.States()[0].ID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*ms)
	defer cancel()
	if err := s.Run(ctx, func(button.Press) {}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want deadline exceeded", err)
	}
}

func TestParsePins(t *testing.T) {
	tests := []struct {
		in   string
		want []PinSpec
		err  string
	}{
		{"GPIO17", []PinSpec{{"GPIO17", "GPIO17"}}, ""},
		{"GPIO17, GPIO27", []PinSpec{{"GPIO17", "GPIO17"}, {"GPIO27", "GPIO27"}}, ""},
		{"hall:GPIO17,toilet:GPIO27", []PinSpec{{"hall", "GPIO17"}, {"toilet", "GPIO27"}}, ""},
		{"hall:GPIO17,GPIO27", []PinSpec{{"hall", "GPIO17"}, {"GPIO27", "GPIO27"}}, ""},
		{"", nil, "no button pins"},
		{" , ", nil, "no button pins"},
		{"hall:", nil, "not id:pin"},
		{":GPIO17", nil, "not id:pin"},
		{"a:GPIO17,a:GPIO27", nil, "id \"a\" used twice"},
		{"a:GPIO17,b:GPIO17", nil, "pin \"GPIO17\" used twice"},
	}
	for _, tt := range tests {
		got, err := ParsePins(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParsePins(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePins(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParsePins checks that ParsePins never panics and returns only
// non-empty, unique ids and pins without separators.
func FuzzParsePins(f *testing.F) {
	for _, s := range []string{"GPIO17", "hall:GPIO17,toilet:GPIO27", "a:,b", ":", ",,", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParsePins(spec)
		if err != nil {
			if got != nil {
				t.Fatalf("result with error: %v", got)
			}
			return
		}
		ids, pins := map[string]bool{}, map[string]bool{}
		for _, p := range got {
			if p.ID == "" || p.Pin == "" || strings.Contains(p.Pin, ",") || strings.Contains(p.ID, ",") || strings.Contains(p.ID, ":") {
				t.Fatalf("bad spec %+v from %q", p, spec)
			}
			if ids[p.ID] || pins[p.Pin] {
				t.Fatalf("duplicate in %v from %q", got, spec)
			}
			ids[p.ID], pins[p.Pin] = true, true
		}
	})
}

func TestStuckSignals(t *testing.T) {
	sigs := make(chan button.Signal, 8)
	g := newRig(t, Config{Stuck: time.Minute}, []string{"hall"}, func(g *rig) {
		g.s.SetSignals(func(s button.Signal) { sigs <- s })
	})
	next := func() button.Signal {
		t.Helper()
		select {
		case s := <-sigs:
			return s
		case <-time.After(2 * time.Second):
			t.Fatal("no signal")
		}
		return button.Signal{}
	}
	g.edge("hall", 0, gpio.Low)
	g.expect(short("hall", 0))
	g.at(3 * time.Second)
	g.expect(long("hall", 3*time.Second))
	g.at(time.Minute)
	if s := next(); s != (button.Signal{Button: "hall", Kind: button.Stuck, At: t0.Add(time.Minute)}) {
		t.Fatalf("signal = %+v", s)
	}
	g.edge("hall", 2*time.Minute, gpio.High)
	if s := next(); s != (button.Signal{Button: "hall", Kind: button.Unstuck, At: t0.Add(2 * time.Minute)}) {
		t.Fatalf("signal = %+v", s)
	}
	select {
	case s := <-sigs:
		t.Fatalf("signal twice: %+v", s)
	default:
	}
}
