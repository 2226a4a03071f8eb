package domain

import (
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

func TestApplyAlertEvent(t *testing.T) {
	at := time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)
	ev := func(id string, at time.Time) eldergate.Envelope {
		return eldergate.Envelope{ID: id, GW: "gw-a", Site: "s1", At: at}
	}
	raised := eldergate.AlertData{AlertID: "g1", Action: eldergate.AlertRaised, Button: "b1"}
	cancelled := eldergate.AlertData{AlertID: "g1", Action: eldergate.AlertCancelled, Button: "b1"}

	open := ApplyAlertEvent(nil, ev("e1", at), raised)
	if open.Op != AlertOpOpen || open.Alert.ID != "e1" || open.Alert.State != AlertOpen || open.Alert.Presses != 1 ||
		open.Alert.Type != DefaultAlertType || !open.Alert.LastAt.Equal(at) || open.Alert.GWAlertID != "g1" {
		t.Fatalf("open = %+v", open)
	}
	live := open.Alert
	late := ApplyAlertEvent(&live, ev("e2", at.Add(-time.Second)), raised)
	if late.Op != AlertOpMerge || late.Alert.Presses != 2 || !late.Alert.LastAt.Equal(at) {
		t.Fatalf("late press = %+v", late)
	}
	if live.Presses != 1 {
		t.Fatal("ApplyAlertEvent changed the live alert it was given")
	}
	next := ApplyAlertEvent(&late.Alert, ev("e3", at.Add(time.Second)), raised)
	if next.Op != AlertOpMerge || next.Alert.Presses != 3 || !next.Alert.LastAt.Equal(at.Add(time.Second)) {
		t.Fatalf("press = %+v", next)
	}
	c := ApplyAlertEvent(&next.Alert, ev("e4", at.Add(time.Minute)), cancelled)
	if c.Op != AlertOpCancel || c.Alert.State != AlertFalseAlarm || c.ClosedBy != ClosedByGateway || !c.Alert.ClosedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("cancel = %+v", c)
	}
	if k := ApplyAlertEvent(nil, ev("e5", at), cancelled); k.Op != AlertOpKeep {
		t.Fatalf("cancel with nothing live = %+v", k)
	}
}

func TestAlertAckResolve(t *testing.T) {
	at := time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)
	a := Alert{State: AlertOpen}
	if err := a.Resolve("s1", at); err != nil || a.AckedBy != "s1" || !a.AckedAt.Equal(at) || a.State != AlertResolved {
		t.Fatalf("resolve open: %+v, %v", a, err)
	}
	if err := a.Ack("s2", at); !errors.Is(err, ErrConflict) {
		t.Fatalf("ack resolved: %v", err)
	}
	b := Alert{State: AlertOpen}
	if err := b.Ack("s1", at); err != nil || b.State != AlertAcknowledged {
		t.Fatalf("ack: %+v, %v", b, err)
	}
	if err := b.Ack("s2", at); !errors.Is(err, ErrConflict) {
		t.Fatalf("ack twice: %v", err)
	}
	if err := b.Resolve("s2", at.Add(time.Minute)); err != nil || b.AckedBy != "s1" || !b.AckedAt.Equal(at) {
		t.Fatalf("resolve acked: %+v, %v", b, err)
	}
}
