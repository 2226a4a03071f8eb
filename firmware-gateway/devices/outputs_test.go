package devices_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/printer/escpos"
	"github.com/eldergate/eldergate/drivers/printer/escpos/escpostest"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/devices"
	"github.com/eldergate/eldergate/firmware-gateway/envelope"
)

var o0 = time.Date(2025, 3, 4, 4, 30, 0, 0, time.UTC) // 12:30 in Shanghai

// fakeClock is a drivers.Clock that moves only when the test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) At(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{t, ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// recPin is a gpiotest pin, registered with periph's gpioreg under a
// test's name, that records every level written with the fake time.
type recPin struct {
	*gpiotest.Pin
	fc  *fakeClock
	mu  sync.Mutex
	log []string
}

func (r *recPin) Out(l gpio.Level) error {
	r.mu.Lock()
	r.log = append(r.log, fmt.Sprintf("%v@%v", l, r.fc.Now().Sub(o0)))
	r.mu.Unlock()
	return r.Pin.Out(l)
}

func (r *recPin) entries() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.log, " ")
}

func (r *recPin) level() gpio.Level {
	r.Pin.Lock()
	defer r.Pin.Unlock()
	return r.Pin.L
}

func newPin(t *testing.T, fc *fakeClock, name string) *recPin {
	t.Helper()
	p := &recPin{Pin: &gpiotest.Pin{N: name}, fc: fc}
	if err := gpioreg.Register(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gpioreg.Unregister(name) })
	return p
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func gpioOutputs(t *testing.T, prefix string) (config.OutputsConfig, *fakeClock, map[string]*recPin) {
	fc := &fakeClock{now: o0}
	pins := map[string]*recPin{}
	for _, d := range []string{"buzzer", "led", "siren"} {
		pins[d] = newPin(t, fc, prefix+"_"+strings.ToUpper(d))
	}
	c, err := config.ParseOutputs([]byte(fmt.Sprintf(`
buzzer: {driver: gpio, settings: {pin: %s_BUZZER}}
led: {driver: gpio, settings: {pin: %s_LED}}
siren: {driver: gpio, settings: {pin: %s_SIREN, active_low: "true"}}
printer: {driver: none}
`, prefix, prefix, prefix)))
	if err != nil {
		t.Fatal(err)
	}
	return c, fc, pins
}

// TestOutputsTapPatterns: each tap result plays its configured buzzer and
// LED pattern on GPIO pins (periph gpiotest, timed by a fake clock).
func TestOutputsTapPatterns(t *testing.T) {
	c, fc, pins := gpioOutputs(t, "TAPTEST")
	o, err := devices.OpenOutputs(c, devices.OutputsOptions{Clock: fc, Now: fc.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if st := o.Statuses(); len(st) != 3 || !st[0].Connected || st[0].Name != "buzzer" {
		t.Fatalf("statuses = %+v", st)
	}
	b, l := pins["buzzer"], pins["led"]
	// Opening switched every output off; the siren is active low.
	if b.entries() != "Low@0s" || l.entries() != "Low@0s" || pins["siren"].entries() != "High@0s" {
		t.Fatalf("at open: buzzer %q, led %q, siren %q", b.entries(), l.entries(), pins["siren"].entries())
	}

	o.Tap(devices.TapResult{EventID: "e1", Decision: eldergate.DecisionApproved, At: o0})
	fc.Advance(100 * time.Millisecond)
	eventually(t, "the ok beep", func() bool { return strings.Count(b.entries(), "@") == 3 })
	fc.Advance(900 * time.Millisecond)
	eventually(t, "the LED's second", func() bool { return strings.Count(l.entries(), "@") == 3 })
	if got, want := b.entries(), "Low@0s High@0s Low@100ms"; got != want {
		t.Errorf("approved buzzer = %s, want %s", got, want)
	}
	if got, want := l.entries(), "Low@0s High@0s Low@1s"; got != want {
		t.Errorf("approved led = %s, want %s", got, want)
	}

	// Refused: three short beeps and five LED flashes, from 1s. The clock
	// moves to each change in turn, once the previous one is written.
	o.Tap(devices.TapResult{Decision: eldergate.DecisionRefused, At: o0})
	eventually(t, "the refusal's start", func() bool { return strings.Count(b.entries(), "@") == 4 && strings.Count(l.entries(), "@") == 4 })
	at := time.Second
	for _, s := range []struct {
		at   time.Duration
		b, l int
	}{{1100, 5, 4}, {1150, 5, 5}, {1200, 6, 5}, {1300, 7, 6}, {1400, 8, 6}, {1450, 8, 7}, {1500, 9, 7}, {1600, 9, 8}, {1750, 9, 9}} {
		fc.Advance(s.at*time.Millisecond - at)
		at = s.at * time.Millisecond
		eventually(t, fmt.Sprintf("the writes at %v", at), func() bool {
			return strings.Count(b.entries(), "@") == s.b && strings.Count(l.entries(), "@") == s.l
		})
	}
	if got, want := b.entries(), "Low@0s High@0s Low@100ms High@1s Low@1.1s High@1.2s Low@1.3s High@1.4s Low@1.5s"; got != want {
		t.Errorf("refused buzzer = %s, want %s", got, want)
	}
	if got, want := l.entries(), "Low@0s High@0s Low@1s High@1s Low@1.15s High@1.3s Low@1.45s High@1.6s Low@1.75s"; got != want {
		t.Errorf("refused led = %s, want %s", got, want)
	}

	// Full pay and manual choose their own patterns.
	if r := devices.Result(devices.TapResult{Decision: eldergate.DecisionFullPay}); r != config.ResultFullPay {
		t.Errorf("full pay result = %s", r)
	}
	if r := devices.Result(devices.TapResult{Decision: eldergate.DecisionApproved, Manual: true}); r != config.ResultManual {
		t.Errorf("manual result = %s", r)
	}
	if r := devices.Result(devices.TapResult{Decision: eldergate.DecisionRefused, Manual: true}); r != config.ResultRefused {
		t.Errorf("manual refusal result = %s", r)
	}
}

type recorder struct {
	mu   sync.Mutex
	envs []eldergate.Envelope
}

func (r *recorder) CommitCritical(_ context.Context, env eldergate.Envelope) (eldergate.Envelope, error) {
	r.mu.Lock()
	r.envs = append(r.envs, env)
	r.mu.Unlock()
	return env, nil
}

func (r *recorder) alerts(t *testing.T) []eldergate.AlertData {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []eldergate.AlertData
	for _, e := range r.envs {
		d, err := eldergate.DecodeAlertData(e.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func newAlarms(now func() time.Time, onChange func(alarms.AlertEvent)) (*alarms.Alarms, *recorder) {
	rec := &recorder{}
	return alarms.New(alarms.Config{GW: "gw-t1", Recorder: rec, Envelopes: envelope.Maker{GW: "gw-t1", Site: "s1", Boot: 1},
		Stamp:   func(t time.Time) (time.Time, string) { return t.UTC(), eldergate.ClockSynced },
		Publish: func(string, any) {}, Notify: func() {}, Now: now, Log: slog.New(slog.DiscardHandler), OnChange: onChange,
	}), rec
}

// TestOutputsSirenUntilAcknowledged: an emergency press switches the
// siren relay on (its active-low pin goes low); it stays on through more
// presses until staff acknowledge at the kiosk, then goes off. A second
// alert acknowledged by the cloud's alert command does the same.
func TestOutputsSirenUntilAcknowledged(t *testing.T) {
	c, fc, pins := gpioOutputs(t, "SIRENTEST")
	c.Siren.Settings["active_low"] = "false"
	o, err := devices.OpenOutputs(c, devices.OutputsOptions{Clock: fc, Now: fc.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	s := pins["siren"]
	a, _ := newAlarms(fc.Now, o.Alert)
	ctx := context.Background()

	a.Press(ctx, button.Press{Button: "toilet", Kind: button.Short, At: o0})
	if s.level() != gpio.High || !o.SirenOn() {
		t.Fatalf("after a press the siren is %v: %s", s.level(), s.entries())
	}
	fc.Advance(time.Minute) // the siren holds: no pattern ends it
	a.Press(ctx, button.Press{Button: "toilet", Kind: button.Short, At: o0.Add(time.Minute)})
	if s.level() != gpio.High {
		t.Fatal("siren off after a second press")
	}
	id := a.Alerts()[0].ID
	if _, err := a.Acknowledge(ctx, id, "李*"); err != nil {
		t.Fatal(err)
	}
	if s.level() != gpio.Low || o.SirenOn() {
		t.Fatalf("after the acknowledgement the siren is %v", s.level())
	}
	if got, want := s.entries(), "Low@0s High@0s Low@1m0s"; got != want {
		t.Errorf("siren = %s, want %s", got, want)
	}
	// Pressed again once acknowledged: staff are on their way, no siren.
	a.Press(ctx, button.Press{Button: "toilet", Kind: button.Short, At: o0.Add(2 * time.Minute)})
	if s.level() != gpio.Low {
		t.Fatal("siren on after a press of an acknowledged alert")
	}

	// Another button's alert, acknowledged in the console (the cloud's
	// alert command).
	a.Press(ctx, button.Press{Button: "bed-3", Kind: button.Short, At: o0.Add(3 * time.Minute)})
	if s.level() != gpio.High {
		t.Fatal("siren off for a second alert")
	}
	var own string
	for _, al := range a.Alerts() {
		if al.Button == "bed-3" {
			own = al.ID
		}
	}
	acked := o0.Add(4 * time.Minute)
	a.ApplyUpdate(eldergate.AlertUpdate{AlertID: "cloud-1", GW: "gw-t1", GWAlertID: own, Type: eldergate.AlertTypeEmergency,
		Button: "bed-3", State: alarms.StateAcknowledged, OpenedAt: o0, AckedBy: "王*", AckedAt: &acked, Presses: 1})
	if s.level() != gpio.Low || o.SirenOn() {
		t.Fatal("siren still on after the cloud's acknowledgement")
	}
}

type faults struct {
	mu  sync.Mutex
	log []string
}

func (f *faults) add(_ context.Context, device, reason string, active bool) {
	f.mu.Lock()
	f.log = append(f.log, fmt.Sprintf("%s/%s=%v", device, reason, active))
	f.mu.Unlock()
}

func (f *faults) String() string { f.mu.Lock(); defer f.mu.Unlock(); return strings.Join(f.log, " ") }

// TestOutputsTicketOverPTY prints an approved meal's ticket on an ESC/POS
// printer behind a pty: the bytes hold the GB18030 site name, the zone,
// the amounts in yuan, the ticket number and a cut. A refusal prints
// nothing. Paper out then shows in the device status and raises one
// printer_paper_out fault, cleared when paper is loaded.
func TestOutputsTicketOverPTY(t *testing.T) {
	dev := serialtest.New(t)
	c, err := config.ParseOutputs([]byte(fmt.Sprintf(`
buzzer: {driver: sim}
led: {driver: none}
siren: {driver: none}
printer: {driver: escpos, port: %s, settings: {poll: "0", timeout: 500ms}}
tickets: true
ticket: {site_name: 幸福社区长者饭堂, footer: 祝您健康}
`, dev.Path())))
	if err != nil {
		t.Fatal(err)
	}
	f := &faults{}
	o, err := devices.OpenOutputs(c, devices.OutputsOptions{Site: "site-1", Zone: func() string { return "Asia/Shanghai" }, Fault: f.add})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "printer connected", func() bool { st := o.Statuses(); return len(st) == 1 && st[0].Connected })

	meal := devices.TapResult{EventID: "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Decision: eldergate.DecisionApproved, Window: "lunch",
		Price: 1200, Subsidy: 400, Pay: 800, Elder: "张三明", At: o0}
	o.Tap(devices.TapResult{Decision: eldergate.DecisionRefused, At: o0}) // no ticket
	o.Tap(meal)
	escpostest.Answer(t, dev, 0x12, 0x12)
	got, err := dev.ReadUntil([]byte{escpos.GS, 'V', 66, 0}, 3*time.Second)
	if err != nil {
		t.Fatalf("ticket: % X, %v", got, err)
	}
	for _, want := range [][]byte{
		{escpos.ESC, '@'}, escpostest.GB18030(t, "幸福社区长者饭堂"), []byte("2025-03-04 12:30"), []byte("Asia/Shanghai"), escpostest.GB18030(t, "张*明"), escpostest.GB18030(t, "午餐"),
		append([]byte("12.00"), escpostest.GB18030(t, "元")...), append([]byte("4.00"), escpostest.GB18030(t, "元")...), append([]byte("8.00"), escpostest.GB18030(t, "元")...),
		[]byte("2e3f4a5b"), escpostest.GB18030(t, "祝您健康"),
	} {
		if !bytes.Contains(got, want) {
			t.Errorf("ticket bytes lack % X (%q)", want, want)
		}
	}
	if !bytes.HasSuffix(got, []byte{escpos.GS, 'V', 66, 0}) {
		t.Error("ticket does not end with a cut")
	}
	if f.String() != "" {
		t.Fatalf("faults before paper out: %s", f)
	}

	// Paper out: nothing printed, the status says so, one fault.
	o.Tap(meal)
	escpostest.Answer(t, dev, 0x1A, 0x72)
	eventually(t, "paper out fault", func() bool { return f.String() != "" })
	if st := o.Statuses()[0]; !st.Connected || !strings.Contains(st.Err, "paper out") {
		t.Fatalf("status = %+v", st)
	}
	o.Tap(meal)
	escpostest.Answer(t, dev, 0x1A, 0x72)
	eventually(t, "second refusal seen", func() bool { return strings.Contains(o.Statuses()[0].Err, "paper out") })
	// Paper loaded: the next ticket prints and the fault clears.
	o.Tap(meal)
	escpostest.Answer(t, dev, 0x12, 0x12)
	if _, err := dev.ReadUntil([]byte{escpos.GS, 'V', 66, 0}, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	eventually(t, "fault cleared", func() bool { return strings.Count(f.String(), "=") == 2 })
	if got, want := f.String(), "printer/printer_paper_out=true printer/printer_paper_out=false"; got != want {
		t.Errorf("faults = %s, want %s", got, want)
	}
}

// TestOutputsPaperOutAlert: the printer's paper-out fault goes through
// the alarms' supervision path as one printer_paper_out alert, cleared
// when paper is back (sim printer).
func TestOutputsPaperOutAlert(t *testing.T) {
	var a *alarms.Alarms
	c, err := config.ParseOutputs([]byte("tickets: true"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := devices.OpenOutputs(c, devices.OutputsOptions{Fault: func(ctx context.Context, device, reason string, active bool) {
		a.Fault(ctx, device, reason, active)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	a, rec := newAlarms(time.Now, o.Alert)
	sim := o.SimPrinter()
	if sim == nil {
		t.Fatal("no sim printer")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	defer func() { cancel(); <-done }()

	sim.SetPaperOut(true)
	o.Tap(devices.TapResult{EventID: "e-1", Decision: eldergate.DecisionApproved, At: o0})
	eventually(t, "paper out alert", func() bool { return len(a.Alerts()) == 1 })
	sim.SetPaperOut(true)
	time.Sleep(50 * time.Millisecond)
	if al := a.Alerts(); len(al) != 1 || al[0].Type != eldergate.AlertTypeSupervision || al[0].Reason != eldergate.SupervisePaperOut || al[0].Button != "printer" {
		t.Fatalf("alerts = %+v", al)
	}
	sim.SetPaperOut(false)
	eventually(t, "alert cleared", func() bool { return len(a.Alerts()) == 0 })
	if len(sim.Tickets()) != 0 {
		t.Fatal("a ticket printed without paper")
	}
	got := rec.alerts(t)
	if len(got) != 2 || got[0].Action != eldergate.AlertRaised || got[1].Action != eldergate.AlertCleared || got[0].Reason != eldergate.SupervisePaperOut {
		t.Fatalf("alert events = %+v", got)
	}
}
