package alarms_test

import (
	"context"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
)

// supervision returns the supervision events recorded, as "action reason
// device" strings.
func (f *fixture) supervision(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, env := range f.rec.envs {
		d := alertOf(t, env)
		if d.Type != eldergate.AlertTypeSupervision {
			continue
		}
		if _, err := eldergate.DecodeAlertData(env.Data); err != nil {
			t.Fatalf("event the cloud would refuse: %v", err)
		}
		out = append(out, d.Action+" "+d.Reason+" "+d.Button)
	}
	return out
}

func (f *fixture) expectSupervision(t *testing.T, want ...string) {
	t.Helper()
	got := f.supervision(t)
	if len(got) != len(want) {
		t.Fatalf("supervision events %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("supervision events %q, want %q", got, want)
		}
	}
}

func TestSilentButton(t *testing.T) {
	f := newAlarmsWith(alarms.Config{Buttons: buttons}) // hall-1 reports every hour
	ctx := t.Context()
	f.a.Check(ctx, t0.Add(2*time.Hour+29*time.Minute)) // 2.5 h after start not yet
	f.expectSupervision(t)
	f.a.Signal(ctx, button.Signal{Button: "hall-1", Kind: button.Alive, At: t0.Add(2 * time.Hour)})
	f.a.Check(ctx, t0.Add(4*time.Hour+29*time.Minute))
	f.expectSupervision(t)
	f.a.Check(ctx, t0.Add(4*time.Hour+30*time.Minute)) // 2.5 × 1 h after the last report
	f.expectSupervision(t, "raised button_silent hall-1")
	got := f.last(t)
	if got.Type != "supervision" || got.Reason != "button_silent" || got.ButtonName != "大厅吊坠" || got.State != "open" {
		t.Fatalf("shown %+v", got)
	}
	f.a.Check(ctx, t0.Add(9*time.Hour)) // still silent: never twice
	f.expectSupervision(t, "raised button_silent hall-1")
	f.a.Signal(ctx, button.Signal{Button: "hall-1", Kind: button.Alive, At: t0.Add(10 * time.Hour)})
	f.expectSupervision(t, "raised button_silent hall-1", "cleared button_silent hall-1")
	if got := f.last(t); got.State != "cleared" || got.Action != "cleared" || len(f.a.Alerts()) != 0 {
		t.Fatalf("shown %+v", got)
	}
	// Silent again later: a new alert.
	f.a.Check(ctx, t0.Add(12*time.Hour+30*time.Minute))
	f.expectSupervision(t, "raised button_silent hall-1", "cleared button_silent hall-1", "raised button_silent hall-1")
}

func TestBatteryLow(t *testing.T) {
	f := newAlarmsWith(alarms.Config{Buttons: buttons})
	ctx := t.Context()
	for i := range 3 { // a pendant sends it with every report: one alert
		f.a.Signal(ctx, button.Signal{Button: "hall-1", Kind: button.BatteryLow, At: t0.Add(time.Duration(i) * time.Hour)})
	}
	f.expectSupervision(t, "raised battery_low hall-1")
	f.a.Signal(ctx, button.Signal{Button: "hall-1", Kind: button.Alive, At: t0.Add(3 * time.Hour)})
	f.expectSupervision(t, "raised battery_low hall-1")
	// Heard without a low-battery code for 2.5 intervals: a new battery.
	f.a.Signal(ctx, button.Signal{Button: "hall-1", Kind: button.Alive, At: t0.Add(4*time.Hour + 30*time.Minute)})
	f.expectSupervision(t, "raised battery_low hall-1", "cleared battery_low hall-1")
}

func TestStuckButton(t *testing.T) {
	f := newAlarmsWith(alarms.Config{Buttons: buttons})
	ctx := t.Context()
	f.a.Signal(ctx, button.Signal{Button: "gpio17", Kind: button.Stuck, At: t0})
	f.a.Signal(ctx, button.Signal{Button: "gpio17", Kind: button.Stuck, At: t0.Add(time.Minute)})
	f.expectSupervision(t, "raised button_stuck gpio17")
	if al := f.a.Alerts(); len(al) != 1 || al[0].Place != "一楼卫生间" {
		t.Fatalf("alerts %+v", al)
	}
	f.a.Signal(ctx, button.Signal{Button: "gpio17", Kind: button.Unstuck, At: t0.Add(2 * time.Minute)})
	f.a.Signal(ctx, button.Signal{Button: "gpio17", Kind: button.Unstuck, At: t0.Add(3 * time.Minute)})
	f.expectSupervision(t, "raised button_stuck gpio17", "cleared button_stuck gpio17")
}

func TestKioskDisconnected(t *testing.T) {
	f := newAlarmsWith(alarms.Config{KioskGrace: 30 * time.Second})
	ctx := t.Context()
	f.a.Check(ctx, t0.Add(time.Hour)) // never connected: nothing to miss
	f.expectSupervision(t)
	f.a.KioskStreams(ctx, 1)
	f.a.KioskStreams(ctx, 2)
	f.a.KioskStreams(ctx, 1)
	f.now = t0.Add(2 * time.Hour)
	f.a.KioskStreams(ctx, 0)
	f.a.Check(ctx, f.now.Add(29*time.Second))
	f.expectSupervision(t)
	f.a.Check(ctx, f.now.Add(30*time.Second))
	f.a.Check(ctx, f.now.Add(time.Hour))
	f.expectSupervision(t, "raised kiosk_disconnected kiosk-screen")
	f.now = f.now.Add(2 * time.Hour)
	f.a.KioskStreams(ctx, 1)
	f.a.KioskStreams(ctx, 2)
	f.expectSupervision(t, "raised kiosk_disconnected kiosk-screen", "cleared kiosk_disconnected kiosk-screen")
	// A browser reload (gone for a moment) raises nothing.
	f.a.KioskStreams(ctx, 0)
	f.now = f.now.Add(2 * time.Second)
	f.a.KioskStreams(ctx, 1)
	f.a.Check(ctx, f.now.Add(time.Minute))
	f.expectSupervision(t, "raised kiosk_disconnected kiosk-screen", "cleared kiosk_disconnected kiosk-screen")
}

func TestSupervisionResolvedByStaffStillClears(t *testing.T) {
	f := newAlarmsWith(alarms.Config{Buttons: buttons})
	ctx := t.Context()
	f.a.Signal(ctx, button.Signal{Button: "gpio17", Kind: button.Stuck, At: t0})
	id := f.last(t).ID
	if _, err := f.a.Resolve(ctx, id, "张*明", "test", "按钮被杂物压住"); err != nil {
		t.Fatal(err)
	}
	f.a.Signal(ctx, button.Signal{Button: "gpio17", Kind: button.Stuck, At: t0.Add(time.Minute)}) // the same fault
	f.a.Signal(ctx, button.Signal{Button: "gpio17", Kind: button.Unstuck, At: t0.Add(2 * time.Minute)})
	f.expectSupervision(t, "raised button_stuck gpio17", "resolved button_stuck gpio17", "cleared button_stuck gpio17")
}

func TestRunChecksWithTheInjectedClock(t *testing.T) {
	f := newAlarmsWith(alarms.Config{Buttons: buttons, Tick: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	f.a.KioskStreams(ctx, 1) // before Run: the fixture is not guarded
	f.a.KioskStreams(ctx, 0)
	f.now = t0.Add(3 * time.Hour) // hall-1 silent, the kiosk gone
	go func() { done <- f.a.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.expectSupervision(t, "raised button_silent hall-1", "raised kiosk_disconnected kiosk-screen")
}

func TestLowBatteryCodeKeepsBatteryLow(t *testing.T) {
	f := newAlarmsWith(alarms.Config{Buttons: buttons})
	ctx := t.Context()
	f.a.Signal(ctx, button.Signal{Button: "hall-1", Kind: button.BatteryLow, At: t0})
	f.a.Signal(ctx, button.Signal{Button: "hall-1", Kind: button.BatteryLow, At: t0.Add(5 * time.Hour)})
	f.a.Check(ctx, t0.Add(6*time.Hour)) // low-battery reports are signs of life: not silent
	f.expectSupervision(t, "raised battery_low hall-1")
}
