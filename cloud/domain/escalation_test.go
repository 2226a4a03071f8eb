package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustSettings(t *testing.T, js string) AlarmSettings {
	t.Helper()
	s, err := ParseAlarmSettings(LevelSite, []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testLadder(t *testing.T) []AlarmLevel {
	return []AlarmLevel{
		{Unit: "site-1", Level: LevelSite, Settings: mustSettings(t, `{"remind_after_s":30,"escalate_after_s":60,"on_duty":[{"days":"mon-sat","from":"07:00","to":"19:00"}]}`)},
		{Unit: "comm-1", Level: LevelCommunity, Settings: mustSettings(t, `{"remind_after_s":0,"escalate_after_s":120,"on_duty":[{"days":"daily","from":"08:00","to":"22:00"}]}`)},
		{Unit: "street-1", Level: LevelStreet, Settings: mustSettings(t, `{"escalate_after_s":180,"on_duty":[{"days":"mon-fri","from":"09:00","to":"17:00"}]}`)},
		{Unit: "district-1", Level: LevelDistrict, Settings: mustSettings(t, `{"remind_after_s":300}`)},
	}
}

// step runs the plan at now and checks the action.
func step(t *testing.T, a Alert, e Escalation, ladder []AlarmLevel, now time.Time, wantStep string, wantLevel int) Escalation {
	t.Helper()
	act, next := PlanEscalation(a, e, ladder, now)
	switch {
	case wantStep == "" && act != nil:
		t.Fatalf("%s: unexpected %s to level %d", now.Format(time.TimeOnly), act.Step, act.Level)
	case wantStep != "" && act == nil:
		t.Fatalf("%s: nothing, want %s to level %d", now.Format(time.TimeOnly), wantStep, wantLevel)
	case act != nil && (act.Step != wantStep || act.Level != wantLevel):
		t.Fatalf("%s: %s to level %d, want %s to level %d", now.Format(time.TimeOnly), act.Step, act.Level, wantStep, wantLevel)
	}
	return next
}

func TestEscalationLadderInDaytime(t *testing.T) {
	ladder := testLadder(t)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, sh) // Monday 10:00: everyone on duty
	a := Alert{ID: "a", State: AlertOpen, Type: "emergency"}
	e := NewEscalation(t0)
	if !e.DueAt.Equal(t0) {
		t.Fatalf("a new alert is due at once, got %v", e.DueAt)
	}
	e = step(t, a, e, ladder, t0, StepRaised, 0)
	if got := e.DueAt.Sub(t0); got != 30*time.Second {
		t.Fatalf("next due after %v, want the reminder at 30 s", got)
	}
	e = step(t, a, e, ladder, t0.Add(29*time.Second), "", 0) // not yet
	e = step(t, a, e, ladder, t0.Add(30*time.Second), StepReminder, 0)
	if got := e.DueAt.Sub(t0); got != 60*time.Second {
		t.Fatalf("next due after %v, want the escalation at 60 s", got)
	}
	e = step(t, a, e, ladder, t0.Add(60*time.Second), StepEscalated, 1)
	if e.Escalations != 1 || e.Reminders != 0 {
		t.Fatalf("after the escalation: %+v", e)
	}
	// The community has no reminder: the next thing is the street at +120 s.
	if got := e.DueAt.Sub(t0); got != 180*time.Second {
		t.Fatalf("next due after %v, want 180 s", got)
	}
	e = step(t, a, e, ladder, t0.Add(180*time.Second), StepEscalated, 2)
	e = step(t, a, e, ladder, t0.Add(360*time.Second), StepEscalated, 3)
	if e.Escalations != 3 {
		t.Fatalf("escalations %d, want 3", e.Escalations)
	}
	// At the top it stays, reminded every 300 s.
	e = step(t, a, e, ladder, t0.Add(660*time.Second), StepReminder, 3)
	if got := e.DueAt.Sub(t0); got != 960*time.Second {
		t.Fatalf("next due after %v, want 960 s", got)
	}
}

func TestEscalationStoppedByAcknowledgement(t *testing.T) {
	ladder := testLadder(t)
	t0 := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	a := Alert{ID: "a", State: AlertOpen}
	e := step(t, a, NewEscalation(t0), ladder, t0, StepRaised, 0)
	e = step(t, a, e, ladder, t0.Add(30*time.Second), StepReminder, 0)
	acked := t0.Add(40 * time.Second)
	a.State, a.AckedAt = AlertAcknowledged, &acked
	e = step(t, a, e, ladder, t0.Add(60*time.Second), "", 0)
	if e.DueAt != nil {
		t.Fatalf("an acknowledged alert is due at %v", e.DueAt)
	}
	// Pressed again after the acknowledgement: the level last told is told again, once.
	e.Renotify = true
	e = step(t, a, e, ladder, t0.Add(90*time.Second), StepPressedAgain, 0)
	if e.Renotify || e.DueAt != nil || e.Level != 0 {
		t.Fatalf("after the re-notification: %+v", e)
	}
	step(t, a, e, ladder, t0.Add(91*time.Second), "", 0)
	// Closed: nothing.
	a.State = AlertResolved
	e.Renotify = true
	if act, n := PlanEscalation(a, e, ladder, t0.Add(100*time.Second)); act != nil || n.DueAt != nil || n.Renotify {
		t.Fatalf("a closed alert planned %+v, %+v", act, n)
	}
}

func TestEscalationOnDutyHours(t *testing.T) {
	ladder := testLadder(t)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	a := Alert{ID: "a", State: AlertOpen}
	// Monday 23:00: the site (07-19), the community (08-22) and the
	// street (09-17) are closed: the district's 24-hour desk is told.
	night := time.Date(2026, 12, 7, 23, 0, 0, 0, sh)
	act, e := PlanEscalation(a, NewEscalation(night), ladder, night)
	if act == nil || act.Level != 3 || len(act.Skipped) != 3 {
		t.Fatalf("at 23:00: %+v, want the district with 3 levels skipped", act)
	}
	if e.Level != 3 || e.DueAt == nil || e.DueAt.Sub(night) != 300*time.Second {
		t.Fatalf("at 23:00 the escalation is %+v", e)
	}
	// Monday 20:00: the site is closed, the community open.
	evening := time.Date(2026, 12, 7, 20, 0, 0, 0, sh)
	act, e = PlanEscalation(a, NewEscalation(evening), ladder, evening)
	if act == nil || act.Level != 1 || len(act.Skipped) != 1 || act.Skipped[0] != 0 {
		t.Fatalf("at 20:00: %+v, want the community, the site skipped", act)
	}
	// From the community the next on duty at 20:02 is the district (the street closes at 17:00).
	act, _ = PlanEscalation(a, e, ladder, evening.Add(120*time.Second))
	if act == nil || act.Step != StepEscalated || act.Level != 3 || len(act.Skipped) != 1 || act.Skipped[0] != 2 {
		t.Fatalf("escalation at 20:02: %+v", act)
	}
	// Sunday 10:00: the site works mon-sat only.
	sunday := time.Date(2026, 12, 6, 10, 0, 0, 0, sh)
	if act, _ := PlanEscalation(a, NewEscalation(sunday), ladder, sunday); act == nil || act.Level != 1 {
		t.Fatalf("sunday: %+v", act)
	}
	// A night shift over midnight belongs to the day it starts on.
	s := mustSettings(t, `{"on_duty":[{"days":"fri","from":"22:00","to":"06:00"}]}`)
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 12, 11, 23, 0, 0, 0, sh), true},  // Friday 23:00
		{time.Date(2026, 12, 12, 5, 59, 0, 0, sh), true},  // Saturday 05:59
		{time.Date(2026, 12, 12, 6, 0, 0, 0, sh), false},  // Saturday 06:00
		{time.Date(2026, 12, 11, 5, 0, 0, 0, sh), false},  // Friday 05:00 (Thursday had no shift)
		{time.Date(2026, 12, 12, 23, 0, 0, 0, sh), false}, // Saturday 23:00
	} {
		if got := s.OnDutyAt(c.at); got != c.want {
			t.Errorf("%s: on duty %v, want %v", c.at, got, c.want)
		}
	}
}

func TestEscalationSupervisionToldOnce(t *testing.T) {
	ladder := testLadder(t)
	t0 := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	a := Alert{ID: "s", State: AlertOpen, Type: "supervision"}
	e := step(t, a, NewEscalation(t0), ladder, t0, StepSupervision, 0)
	if e.DueAt != nil {
		t.Fatalf("a supervision alert is due again at %v", e.DueAt)
	}
	step(t, a, e, ladder, t0.Add(time.Hour), "", 0)
}

func TestParseAlarmSettingsErrors(t *testing.T) {
	for _, c := range []struct{ js, field string }{
		{`{"remind_after_s":5}`, "remind_after_s"},
		{`{"escalate_after_s":-1}`, "escalate_after_s"},
		{`{"time_zone":"Mars/Olympus"}`, "time_zone"},
		{`{"on_duty":[{"days":"someday","from":"08:00","to":"09:00"}]}`, "on_duty[0]"},
		{`{"on_duty":[{"days":"daily","from":"8:00","to":"09:00"}]}`, "on_duty[0]"},
		{`{"on_duty":[{"days":"daily","from":"09:00","to":"09:00"}]}`, "on_duty[0]"},
		{`{"channels":[{"id":"a","kind":"webhook","url":"http://127.0.0.1/x","secret":"s"},{"id":"a","kind":"webhook","url":"http://127.0.0.1/y","secret":"s"}]}`, "channels[1].id"},
		{`{"remind":60}`, "not valid JSON"},
		{`[`, "not valid JSON"},
	} {
		_, err := ParseAlarmSettings(LevelSite, []byte(c.js))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error %v, want one naming %s", c.js, err, c.field)
		}
	}
	s := mustSettings(t, `{}`)
	if s.TimeZone != DefaultTimeZone || !s.OnDutyAt(time.Now()) || s.RemindAfter != 60 || s.EscalateAfter != 120 {
		t.Fatalf("empty settings of a site keep its defaults: %+v", s)
	}
	if s, _ := ParseAlarmSettings(LevelStreet, []byte(`{"remind_after_s":0}`)); s.RemindAfter != 0 || s.EscalateAfter != 300 {
		t.Fatalf("an explicit 0 turns the reminder off, the rest keeps the street's defaults: %+v", s)
	}
}

func FuzzParseAlarmSettings(f *testing.F) {
	f.Add([]byte(`{"remind_after_s":30,"escalate_after_s":60,"on_duty":[{"days":"mon-fri,sun","from":"22:00","to":"06:00"}],"time_zone":"Asia/Hong_Kong"}`))
	f.Add([]byte(`{"on_duty":[{"days":"sat-mon","from":"00:00","to":"24:00"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseAlarmSettings(LevelCommunity, b)
		if err != nil {
			return
		}
		_ = s.OnDutyAt(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
		ladder := []AlarmLevel{{Settings: s}, {Settings: s}}
		now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		e := NewEscalation(now)
		a := Alert{State: AlertOpen}
		for i := 0; i < 10 && e.DueAt != nil; i++ {
			if e.DueAt.Before(now) {
				t.Fatalf("due %v before now %v", e.DueAt, now)
			}
			now = *e.DueAt
			_, e = PlanEscalation(a, e, ladder, now)
		}
	})
}
