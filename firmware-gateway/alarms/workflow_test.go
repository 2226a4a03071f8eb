package alarms_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
)

var buttons = map[string]alarms.Button{
	"gpio17": {Name: "卫生间紧急按钮", Place: "一楼卫生间"},
	"hall-1": {Name: "大厅吊坠", Place: "一楼大厅", Supervision: time.Hour},
}

func tp(t time.Time) *time.Time { return &t }

// TestWorkflow walks one alert of this gateway and one of another
// gateway of the site through their lives, step by step, with the
// injected clock: what the kiosk is shown and what is recorded for the
// cloud after each step.
func TestWorkflow(t *testing.T) {
	f := newAlarmsWith(alarms.Config{Buttons: buttons})
	ctx := t.Context()
	var own string // this gateway's id of the alert
	type want struct {
		action, state, ackedBy, outcome string
		presses                         int
		pressedAgain                    bool
		event                           string // action of the event recorded by the step, "" none
		live                            int    // alerts listed after the step
	}
	steps := []struct {
		name string
		do   func(t *testing.T)
		want want
	}{
		{"press raises", func(t *testing.T) {
			f.a.Press(ctx, button.Press{Button: "gpio17", At: f.now})
			own = f.last(t).ID
		}, want{action: "raised", state: "open", presses: 1, event: "raised", live: 1}},
		{"pressed again before the ack merges", func(t *testing.T) {
			f.now = f.now.Add(10 * time.Second)
			f.a.Press(ctx, button.Press{Button: "gpio17"})
		}, want{action: "pressed", state: "open", presses: 2, event: "raised", live: 1}},
		{"staff ack at the kiosk", func(t *testing.T) {
			f.now = f.now.Add(20 * time.Second)
			if _, err := f.a.Acknowledge(ctx, own, "张*明"); err != nil {
				t.Fatal(err)
			}
		}, want{action: "acknowledged", state: "acknowledged", ackedBy: "张*明", presses: 2, event: "acknowledged", live: 1}},
		{"a second ack is refused", func(t *testing.T) {
			if _, err := f.a.Acknowledge(ctx, own, "李*英"); !errors.Is(err, alarms.ErrAcknowledged) {
				t.Fatalf("second ack: %v", err)
			}
		}, want{action: "acknowledged", state: "acknowledged", ackedBy: "张*明", presses: 2, event: "acknowledged", live: 1}},
		{"pressed after the ack: pressed again, still acknowledged", func(t *testing.T) {
			f.now = f.now.Add(time.Minute)
			f.a.Press(ctx, button.Press{Button: "gpio17"})
		}, want{action: "pressed", state: "acknowledged", ackedBy: "张*明", presses: 3, pressedAgain: true, event: "raised", live: 1}},
		{"an older cloud update (open) does not move it back", func(t *testing.T) {
			if f.a.ApplyUpdate(eldergate.AlertUpdate{AlertID: "c-1", GW: "gw-t1", GWAlertID: own, State: "open", Type: "emergency", Presses: 1, OpenedAt: t0}) {
				t.Fatal("older update applied")
			}
		}, want{action: "pressed", state: "acknowledged", ackedBy: "张*明", presses: 3, pressedAgain: true, event: "raised", live: 1}},
		{"another gateway's alert from the cloud shows too", func(t *testing.T) {
			f.a.ApplyUpdate(eldergate.AlertUpdate{AlertID: "c-2", GW: "gw-t2", GWAlertID: "x", State: "open", Type: "emergency",
				Button: "b9", ButtonName: "二楼床头按钮", Place: "二楼 3 号房", Presses: 1, OpenedAt: t0})
		}, want{action: "updated", state: "open", presses: 1, event: "raised", live: 2}},
		{"the console acknowledges it: the kiosk shows the name", func(t *testing.T) {
			f.a.ApplyUpdate(eldergate.AlertUpdate{AlertID: "c-2", GW: "gw-t2", GWAlertID: "x", State: "acknowledged", Type: "emergency",
				Button: "b9", Presses: 1, OpenedAt: t0, AckedBy: "王*华", AckedVia: "console", AckedAt: tp(f.now)})
		}, want{action: "updated", state: "acknowledged", ackedBy: "王*华", presses: 1, event: "raised", live: 2}},
		{"staff resolve our alert with an outcome and a note", func(t *testing.T) {
			f.now = f.now.Add(5 * time.Minute)
			if _, err := f.a.Resolve(ctx, own, "张*明", "helped_on_site", "扶起，无受伤"); err != nil {
				t.Fatal(err)
			}
		}, want{action: "resolved", state: "resolved", ackedBy: "张*明", outcome: "helped_on_site", presses: 3, pressedAgain: true, event: "resolved", live: 1}},
		{"the cloud's late acknowledged update does not bring it back", func(t *testing.T) {
			if f.a.ApplyUpdate(eldergate.AlertUpdate{AlertID: "c-1", GW: "gw-t1", GWAlertID: own, State: "acknowledged", Type: "emergency", Presses: 3, OpenedAt: t0, AckedBy: "张*明"}) {
				t.Fatal("closed alert reopened")
			}
		}, want{action: "resolved", state: "resolved", ackedBy: "张*明", outcome: "helped_on_site", presses: 3, pressedAgain: true, event: "resolved", live: 1}},
		{"the other gateway's alert resolved in the console leaves the screen", func(t *testing.T) {
			f.a.ApplyUpdate(eldergate.AlertUpdate{AlertID: "c-2", GW: "gw-t2", GWAlertID: "x", State: "false_alarm", Type: "emergency",
				Presses: 1, OpenedAt: t0, AckedBy: "王*华", Outcome: "false_alarm"})
		}, want{action: "updated", state: "false_alarm", ackedBy: "王*华", outcome: "false_alarm", presses: 1, event: "resolved", live: 0}},
		{"a press after resolution opens a new alert", func(t *testing.T) {
			f.a.Press(ctx, button.Press{Button: "gpio17"})
			if f.last(t).ID == own {
				t.Fatal("a press after resolution reused the closed alert")
			}
		}, want{action: "raised", state: "open", presses: 1, event: "raised", live: 1}},
	}
	for _, s := range steps {
		recorded := len(f.rec.envs)
		s.do(t)
		got := f.last(t)
		w := s.want
		if got.Action != w.action || got.State != w.state || got.AckedBy != w.ackedBy || got.Outcome != w.outcome ||
			got.Presses != w.presses || got.PressedAgain != w.pressedAgain {
			t.Fatalf("%s: shown %+v, want %+v", s.name, got, w)
		}
		if n := len(f.a.Alerts()); n != w.live {
			t.Fatalf("%s: %d live alerts, want %d", s.name, n, w.live)
		}
		if ev := f.lastEvent(t); ev.Action != w.event {
			t.Fatalf("%s: last recorded event %+v, want action %s", s.name, ev, w.event)
		}
		if len(f.rec.envs) > recorded {
			if ev := f.lastEvent(t); ev.AlertID != own && ev.Action != "raised" {
				t.Fatalf("%s: event of alert %s, want our own id %s", s.name, ev.AlertID, own)
			}
		}
		if got.Own && got.ButtonName != "卫生间紧急按钮" || got.Own && got.Place != "一楼卫生间" {
			t.Fatalf("%s: button name and place not shown: %+v", s.name, got)
		}
	}
	// What the cloud got for our first alert: raised ×3 (one per press),
	// acknowledged by, resolved with outcome and note; all named.
	var actions []string
	for _, env := range f.rec.envs {
		d := alertOf(t, env)
		if d.AlertID != own {
			continue
		}
		actions = append(actions, d.Action)
		if d.ButtonName != "卫生间紧急按钮" || d.Place != "一楼卫生间" || d.Type != "emergency" {
			t.Fatalf("event %+v lacks the button's name and place", d)
		}
		switch d.Action {
		case "acknowledged":
			if d.By != "张*明" {
				t.Fatalf("ack event %+v", d)
			}
		case "resolved":
			if d.By != "张*明" || d.Outcome != "helped_on_site" || d.Note != "扶起，无受伤" {
				t.Fatalf("resolve event %+v", d)
			}
		}
		if _, err := eldergate.DecodeAlertData(env.Data); err != nil {
			t.Fatalf("event the cloud would refuse: %v", err)
		}
	}
	if got := fmt.Sprint(actions); got != "[raised raised acknowledged raised resolved]" {
		t.Fatalf("recorded actions %v", actions)
	}
}

func TestStaffActionsOnAnotherGatewaysAlertUseTheCloudID(t *testing.T) {
	f := newAlarms()
	ctx := t.Context()
	f.a.ApplyUpdate(eldergate.AlertUpdate{AlertID: "c-7", GW: "gw-t2", GWAlertID: "g-7", State: "open", Type: "emergency", Presses: 1, OpenedAt: t0})
	if _, err := f.a.Acknowledge(ctx, "c-7", "陈*文"); err != nil {
		t.Fatal(err)
	}
	if ev := f.lastEvent(t); ev.AlertID != "c-7" || ev.Action != "acknowledged" || ev.By != "陈*文" {
		t.Fatalf("event %+v", ev)
	}
	if _, err := f.a.Resolve(ctx, "c-7", "陈*文", "sent_to_hospital", ""); err != nil {
		t.Fatal(err)
	}
	if ev := f.lastEvent(t); ev.AlertID != "c-7" || ev.Outcome != "sent_to_hospital" {
		t.Fatalf("event %+v", ev)
	}
	if _, err := f.a.Resolve(ctx, "c-7", "陈*文", "test", ""); !errors.Is(err, alarms.ErrClosed) {
		t.Fatalf("resolving twice: %v", err)
	}
	if _, err := f.a.Acknowledge(ctx, "nope", "陈*文"); !errors.Is(err, alarms.ErrNotFound) {
		t.Fatalf("unknown alert: %v", err)
	}
	for _, bad := range []struct{ by, outcome, note string }{{"", "test", ""}, {"x", "fixed", ""}, {"x", "test", string(make([]rune, 1001))}} {
		if _, err := f.a.Resolve(ctx, "c-7", bad.by, bad.outcome, bad.note); !errors.Is(err, alarms.ErrInvalid) {
			t.Fatalf("resolve %+v: %v", bad, err)
		}
	}
}

func TestStaffAckNotRecordedChangesNothing(t *testing.T) {
	f := newAlarms()
	f.a.Press(t.Context(), button.Press{Button: "b1"})
	id := f.last(t).ID
	f.rec.fail = true
	if _, err := f.a.Acknowledge(t.Context(), id, "张*明"); err == nil {
		t.Fatal("ack not recorded but accepted")
	}
	if al := f.a.Alerts(); len(al) != 1 || al[0].State != "open" {
		t.Fatalf("alerts %+v", al)
	}
}

func TestLongPressCancelsAcknowledgedAlert(t *testing.T) {
	f := newAlarms()
	ctx := t.Context()
	f.a.Press(ctx, button.Press{Button: "b1"})
	id := f.last(t).ID
	f.a.Acknowledge(ctx, id, "张*明")
	f.a.Press(ctx, button.Press{Button: "b1", Kind: button.Long})
	if got := f.last(t); got.State != "false_alarm" || got.Action != "cancelled" || len(f.a.Alerts()) != 0 {
		t.Fatalf("shown %+v", got)
	}
}
