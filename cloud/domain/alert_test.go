package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

// fakeClock is the injected clock of the lifecycle tests: it only moves
// when a step advances it.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time                    { return c.now }
func (c *fakeClock) Advance(d time.Duration) time.Time { c.now = c.now.Add(d); return c.now }

// TestAlertLifecycle walks one button's alerts through every transition
// with an injected clock, each step acting on what the previous left:
// open → press (merge) → ack → press (pressed again, re-notify) →
// resolve with an outcome → press (a new alert) → cancel (false alarm) →
// resolve of the closed alert (conflict).
func TestAlertLifecycle(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)}
	t0 := clock.Now()
	seq := 0
	press := func(action string) (eldergate.Envelope, eldergate.AlertData) {
		seq++
		id := "e" + string(rune('0'+seq))
		return eldergate.Envelope{ID: id, GW: "gw-a", Site: "s1", At: clock.Now()},
			eldergate.AlertData{AlertID: "g" + id, Action: action, Button: "b1"}
	}
	var live *Alert // what the store would find: the open or acknowledged alert
	var last Alert  // the alert last written
	event := func(action string) AlertStep {
		e, a := press(action)
		step := ApplyAlertEvent(live, e, a)
		if step.Op != AlertOpKeep {
			last = step.Alert
			live = nil
			if last.State.Live() {
				l := last
				live = &l
			}
		}
		return step
	}
	act := func(fn func(a *Alert) error) error {
		a := last
		if err := fn(&a); err != nil {
			return err
		}
		last, live = a, nil
		if a.State.Live() {
			l := a
			live = &l
		}
		return nil
	}
	steps := []struct {
		name  string
		after time.Duration
		do    func(t *testing.T)
	}{
		{"press opens", 0, func(t *testing.T) {
			s := event(eldergate.AlertRaised)
			if s.Op != AlertOpOpen || s.Alert.Escalation.Renotify || last.State != AlertOpen || last.Presses != 1 || last.ID != "e1" ||
				!last.OpenedAt.Equal(t0) || !last.LastAt.Equal(t0) || last.Type != DefaultAlertType {
				t.Fatalf("step = %+v", s)
			}
		}},
		{"press while open merges", 10 * time.Second, func(t *testing.T) {
			s := event(eldergate.AlertRaised)
			if s.Op != AlertOpMerge || s.Alert.Escalation.Renotify || last.ID != "e1" || last.State != AlertOpen || last.Presses != 2 ||
				!last.LastAt.Equal(clock.Now()) || last.PressedAgainAt != nil {
				t.Fatalf("step = %+v", s)
			}
		}},
		{"ack records who and where", 20 * time.Second, func(t *testing.T) {
			if err := act(func(a *Alert) error { return a.Ack("duty-token", ViaKiosk, clock.Now()) }); err != nil {
				t.Fatal(err)
			}
			if last.State != AlertAcknowledged || last.AckedBy != "duty-token" || last.AckedVia != ViaKiosk || !last.AckedAt.Equal(clock.Now()) {
				t.Fatalf("acked = %+v", last)
			}
		}},
		{"ack twice is a conflict", time.Second, func(t *testing.T) {
			if err := act(func(a *Alert) error { return a.Ack("other", ViaConsole, clock.Now()) }); !errors.Is(err, ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
		}},
		{"press after ack is pressed again", time.Minute, func(t *testing.T) {
			s := event(eldergate.AlertRaised)
			if s.Op != AlertOpMerge || !s.Alert.Escalation.Renotify || last.ID != "e1" || last.State != AlertAcknowledged || last.Presses != 3 ||
				last.PressedAgainAt == nil || !last.PressedAgainAt.Equal(clock.Now()) || !last.LastAt.Equal(clock.Now()) {
				t.Fatalf("step = %+v", s)
			}
		}},
		{"late press from before the ack merges quietly", time.Second, func(t *testing.T) {
			again := *last.PressedAgainAt
			e, a := press(eldergate.AlertRaised)
			e.At = t0.Add(5 * time.Second) // pressed before the ack, received now
			s := ApplyAlertEvent(live, e, a)
			// Quietly: the escalation stays as it was (the pending
			// re-notification of the press after the ack, no new one).
			if s.Op != AlertOpMerge || s.Alert.Escalation != live.Escalation || s.Alert.Presses != 4 || !s.Alert.PressedAgainAt.Equal(again) || !s.Alert.LastAt.Equal(again) {
				t.Fatalf("step = %+v", s)
			}
			last, live = s.Alert, &s.Alert
		}},
		{"unknown outcome is invalid", time.Second, func(t *testing.T) {
			err := act(func(a *Alert) error {
				return a.Resolve("duty-token", ViaConsole, Resolution{Outcome: "fixed"}, clock.Now())
			})
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `outcome "fixed" is not one of helped_on_site`) {
				t.Fatalf("err = %v", err)
			}
			if last.State != AlertAcknowledged {
				t.Fatalf("a refused resolve changed the alert: %+v", last)
			}
		}},
		{"resolve with an outcome and a note", 2 * time.Minute, func(t *testing.T) {
			r := Resolution{Outcome: OutcomeSentToHospital, Note: "120 called"}
			if err := act(func(a *Alert) error { return a.Resolve("lead-token", ViaConsole, r, clock.Now()) }); err != nil {
				t.Fatal(err)
			}
			if last.State != AlertResolved || last.Outcome != OutcomeSentToHospital || last.Note != "120 called" ||
				last.ClosedBy != "lead-token" || !last.ClosedAt.Equal(clock.Now()) || last.AckedBy != "duty-token" || last.AckedVia != ViaKiosk {
				t.Fatalf("resolved = %+v", last)
			}
		}},
		{"resolve of a closed alert is a conflict", time.Second, func(t *testing.T) {
			err := act(func(a *Alert) error {
				return a.Resolve("x", ViaAPI, Resolution{Outcome: OutcomeTest}, clock.Now())
			})
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
		}},
		{"press after resolution opens a new alert", time.Minute, func(t *testing.T) {
			s := event(eldergate.AlertRaised)
			if s.Op != AlertOpOpen || last.ID != "e5" || last.State != AlertOpen || last.Presses != 1 || last.AckedAt != nil {
				t.Fatalf("step = %+v", s)
			}
		}},
		{"cancel makes a false alarm", 3 * time.Second, func(t *testing.T) {
			s := event(eldergate.AlertCancelled)
			if s.Op != AlertOpCancel || last.ID != "e5" || last.State != AlertFalseAlarm || last.Outcome != OutcomeFalseAlarm ||
				last.ClosedBy != ClosedByGateway || s.Alert.ClosedBy != ClosedByGateway || !last.ClosedAt.Equal(clock.Now()) {
				t.Fatalf("step = %+v", s)
			}
		}},
		{"cancel with nothing live changes nothing", time.Second, func(t *testing.T) {
			if s := event(eldergate.AlertCancelled); s.Op != AlertOpKeep {
				t.Fatalf("step = %+v", s)
			}
		}},
		{"resolve of a false alarm is a conflict", time.Second, func(t *testing.T) {
			err := act(func(a *Alert) error {
				return a.Resolve("x", ViaAPI, Resolution{Outcome: OutcomeHelpedOnSite}, clock.Now())
			})
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
		}},
		{"resolve as false alarm", time.Minute, func(t *testing.T) {
			event(eldergate.AlertRaised)
			err := act(func(a *Alert) error {
				return a.Resolve("lead-token", ViaConsole, Resolution{Outcome: OutcomeFalseAlarm, Note: "leaned on it"}, clock.Now())
			})
			if err != nil || last.State != AlertFalseAlarm || last.Outcome != OutcomeFalseAlarm ||
				last.AckedBy != "lead-token" || last.AckedVia != ViaConsole || !last.AckedAt.Equal(clock.Now()) {
				t.Fatalf("resolve as false alarm: %+v, %v", last, err)
			}
		}},
	}
	for _, st := range steps {
		clock.Advance(st.after)
		if !t.Run(st.name, st.do) {
			t.FailNow() // the later steps build on this one
		}
	}
}

func TestApplyAlertEventDoesNotChangeLive(t *testing.T) {
	at := time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)
	acked := at.Add(time.Second)
	live := Alert{ID: "e1", State: AlertAcknowledged, Presses: 1, OpenedAt: at, LastAt: at, AckedAt: &acked}
	s := ApplyAlertEvent(&live, eldergate.Envelope{ID: "e2", At: at.Add(time.Minute)},
		eldergate.AlertData{AlertID: "g2", Action: eldergate.AlertRaised})
	if !s.Alert.Escalation.Renotify || live.Presses != 1 || live.PressedAgainAt != nil || !live.LastAt.Equal(at) {
		t.Fatalf("ApplyAlertEvent changed the live alert it was given: %+v", live)
	}
}

func TestAckAndResolveRefuse(t *testing.T) {
	at := time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)
	for name, fn := range map[string]func(a *Alert) error{
		"ack via elsewhere": func(a *Alert) error { return a.Ack("t", "phone", at) },
		"ack by nobody":     func(a *Alert) error { return a.Ack("", ViaAPI, at) },
		"resolve by nobody": func(a *Alert) error { return a.Resolve("", ViaAPI, Resolution{Outcome: OutcomeTest}, at) },
		"empty outcome":     func(a *Alert) error { return a.Resolve("t", ViaAPI, Resolution{}, at) },
		"long note": func(a *Alert) error {
			return a.Resolve("t", ViaAPI, Resolution{Outcome: OutcomeTest, Note: strings.Repeat("长", MaxNoteRunes+1)}, at)
		},
	} {
		a := Alert{State: AlertOpen}
		if err := fn(&a); !errors.Is(err, ErrInvalid) || a.State != AlertOpen {
			t.Errorf("%s: err = %v, alert %+v; want ErrInvalid and no change", name, err, a)
		}
	}
	for _, o := range AlertOutcomes {
		a := Alert{State: AlertOpen}
		if err := a.Resolve("t", ViaAPI, Resolution{Outcome: o}, at); err != nil || a.Outcome != o {
			t.Errorf("resolve %s: %v, %+v", o, err, a)
		}
	}
}
