package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// testAlertMergeRules: the rules of domain.ApplyAlertEvent as every store
// applies them. A late (older) press merges without moving last_at back;
// a press with the gateway alert id of a live alert merges into it even
// from another button; a cancel with nothing live keeps the event and
// changes no alert; a cancel closes at its own time, by the gateway.
func testAlertMergeRules(t *testing.T, s domain.Store) {
	ctx := context.Background()
	first := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base.Add(time.Minute))
	late := Alert(t, "gw-a", 2, "al-2", eldergate.AlertRaised, "btn-1", base) // pressed before, received after
	sameID := Alert(t, "gw-a", 3, "al-1", eldergate.AlertRaised, "btn-9", base.Add(2*time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{first, late, sameID}, base); err != nil {
		t.Fatal(err)
	}
	a := findAlert(t, s, first.ID)
	if a.Presses != 3 || !a.LastAt.Equal(base.Add(2*time.Minute)) || !a.OpenedAt.Equal(base.Add(time.Minute)) || a.Type != domain.DefaultAlertType {
		t.Fatalf("merged alert = %+v, want 3 presses, last_at the latest press", a)
	}
	if as, _ := s.ListAlerts(ctx, ""); len(as) != 1 {
		t.Fatalf("got %d alerts, want 1: %+v", len(as), as)
	}
	stray := Alert(t, "gw-a", 4, "al-x", eldergate.AlertCancelled, "btn-2", base.Add(3*time.Minute))
	got, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{stray}, base)
	if err != nil || len(got) != 1 {
		t.Fatalf("stray cancel: %v, %v", got, err)
	}
	if as, _ := s.ListAlerts(ctx, ""); len(as) != 1 || as[0].State != domain.AlertOpen {
		t.Fatalf("a cancel with nothing live changed the alerts: %+v", as)
	}
	cancelAt := base.Add(4 * time.Minute)
	cancel := Alert(t, "gw-a", 5, "al-2", eldergate.AlertCancelled, "btn-1", cancelAt)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{cancel}, base); err != nil {
		t.Fatal(err)
	}
	a = findAlert(t, s, first.ID)
	if a.State != domain.AlertFalseAlarm || a.ClosedAt == nil || !a.ClosedAt.Equal(cancelAt) || a.Presses != 3 {
		t.Fatalf("cancelled alert = %+v", a)
	}
	// A cancel after the close changes nothing.
	again := Alert(t, "gw-a", 6, "al-1", eldergate.AlertCancelled, "btn-1", base.Add(5*time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{again}, base); err != nil {
		t.Fatal(err)
	}
	if b := findAlert(t, s, first.ID); !b.ClosedAt.Equal(cancelAt) {
		t.Fatalf("second cancel moved closed_at: %+v", b)
	}
}

// testResolveRules: the rules of domain.Alert.Ack and Resolve as every
// store applies them.
func testResolveRules(t *testing.T, s domain.Store) {
	ctx := context.Background()
	if err := s.ResolveAlert(ctx, NewID(t), "x", domain.ViaConsole, helped, base); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("resolve unknown: err = %v, want ErrNotFound", err)
	}
	direct := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base)
	acked := Alert(t, "gw-a", 2, "al-2", eldergate.AlertRaised, "btn-2", base)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{direct, acked}, base); err != nil {
		t.Fatal(err)
	}
	at := base.Add(time.Minute)
	// Resolved without an acknowledgement: acknowledged by the same
	// person at the same time.
	if err := s.ResolveAlert(ctx, direct.ID, "staff-1", domain.ViaConsole, helped, at); err != nil {
		t.Fatal(err)
	}
	a := findAlert(t, s, direct.ID)
	if a.State != domain.AlertResolved || a.AckedBy != "staff-1" || a.AckedAt == nil || !a.AckedAt.Equal(at) || !a.ClosedAt.Equal(at) {
		t.Fatalf("resolved alert = %+v", a)
	}
	if err := s.ResolveAlert(ctx, direct.ID, "staff-2", domain.ViaConsole, helped, at); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("resolve twice: err = %v, want ErrConflict", err)
	}
	// Resolved after an acknowledgement: the acknowledgement stays.
	if err := s.AckAlert(ctx, acked.ID, "staff-1", domain.ViaConsole, at); err != nil {
		t.Fatal(err)
	}
	if err := s.ResolveAlert(ctx, acked.ID, "staff-2", domain.ViaConsole, helped, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	a = findAlert(t, s, acked.ID)
	if a.State != domain.AlertResolved || a.AckedBy != "staff-1" || !a.AckedAt.Equal(at) || !a.ClosedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("resolved after ack = %+v", a)
	}
	// A press after the resolution opens a new alert.
	press := Alert(t, "gw-a", 3, "al-3", eldergate.AlertRaised, "btn-2", at.Add(2*time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{press}, base); err != nil {
		t.Fatal(err)
	}
	if b := findAlert(t, s, press.ID); b.State != domain.AlertOpen || b.Presses != 1 {
		t.Fatalf("press after resolution = %+v", b)
	}
}

var helped = domain.Resolution{Outcome: domain.OutcomeHelpedOnSite, Note: "on site in 2 min"}

// testPressedAgain: a press after the acknowledgement stays in the same
// acknowledged alert, counted, with pressed_again_at; a press from before
// the acknowledgement received after it does not set it; a press after
// the resolution opens a new alert.
func testPressedAgain(t *testing.T, s domain.Store) {
	ctx := context.Background()
	first := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{first}, base); err != nil {
		t.Fatal(err)
	}
	ackAt := base.Add(30 * time.Second)
	if err := s.AckAlert(ctx, first.ID, "duty-1", domain.ViaKiosk, ackAt); err != nil {
		t.Fatal(err)
	}
	// Pressed before the ack, received after it: a plain merge.
	early := Alert(t, "gw-a", 2, "al-2", eldergate.AlertRaised, "btn-1", base.Add(10*time.Second))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{early}, base); err != nil {
		t.Fatal(err)
	}
	a := findAlert(t, s, first.ID)
	if a.Presses != 2 || a.State != domain.AlertAcknowledged || a.PressedAgainAt != nil || a.AckedVia != domain.ViaKiosk || a.AckedBy != "duty-1" {
		t.Fatalf("after an early press = %+v", a)
	}
	againAt := base.Add(2 * time.Minute)
	again := Alert(t, "gw-a", 3, "al-3", eldergate.AlertRaised, "btn-1", againAt)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{again}, base); err != nil {
		t.Fatal(err)
	}
	a = findAlert(t, s, first.ID)
	if a.Presses != 3 || a.State != domain.AlertAcknowledged || a.PressedAgainAt == nil || !a.PressedAgainAt.Equal(againAt) ||
		!a.LastAt.Equal(againAt) || !a.AckedAt.Equal(ackAt) {
		t.Fatalf("pressed again = %+v", a)
	}
	if as, _ := s.ListAlerts(ctx, ""); len(as) != 1 {
		t.Fatalf("got %d alerts, want 1: %+v", len(as), as)
	}
	if err := s.ResolveAlert(ctx, first.ID, "lead-1", domain.ViaConsole, helped, base.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The same gateway alert id after the resolution: a new alert too.
	after := Alert(t, "gw-a", 4, "al-3", eldergate.AlertRaised, "btn-1", base.Add(4*time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{after}, base); err != nil {
		t.Fatal(err)
	}
	if b := findAlert(t, s, after.ID); b.State != domain.AlertOpen || b.Presses != 1 || b.PressedAgainAt != nil || b.AckedBy != "" {
		t.Fatalf("press after resolution = %+v", b)
	}
	if a = findAlert(t, s, first.ID); a.Presses != 3 || a.State != domain.AlertResolved {
		t.Fatalf("resolved alert changed by a later press: %+v", a)
	}
}

// testResolveOutcome: the outcome and the note are stored; false_alarm
// closes as a false alarm; an unknown outcome changes nothing; an elder's
// cancel records the outcome false_alarm, closed by the gateway.
func testResolveOutcome(t *testing.T, s domain.Store) {
	ctx := context.Background()
	one := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base)
	two := Alert(t, "gw-a", 2, "al-2", eldergate.AlertRaised, "btn-2", base)
	three := Alert(t, "gw-a", 3, "al-3", eldergate.AlertRaised, "btn-3", base)
	cancel := Alert(t, "gw-a", 4, "al-3", eldergate.AlertCancelled, "btn-3", base.Add(5*time.Second))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{one, two, three, cancel}, base); err != nil {
		t.Fatal(err)
	}
	at := base.Add(time.Minute)
	err := s.ResolveAlert(ctx, one.ID, "lead-1", domain.ViaConsole, domain.Resolution{Outcome: "fixed"}, at)
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("unknown outcome: err = %v, want ErrInvalid", err)
	}
	if a := findAlert(t, s, one.ID); a.State != domain.AlertOpen || a.Outcome != "" {
		t.Fatalf("a refused resolve changed the alert: %+v", a)
	}
	note := "送往区医院，已通知女儿"
	if err := s.ResolveAlert(ctx, one.ID, "lead-1", domain.ViaConsole, domain.Resolution{Outcome: domain.OutcomeSentToHospital, Note: note}, at); err != nil {
		t.Fatal(err)
	}
	a := findAlert(t, s, one.ID)
	if a.State != domain.AlertResolved || a.Outcome != domain.OutcomeSentToHospital || a.Note != note || a.ClosedBy != "lead-1" ||
		!a.ClosedAt.Equal(at) || a.AckedBy != "lead-1" || a.AckedVia != domain.ViaConsole || !a.AckedAt.Equal(at) {
		t.Fatalf("resolved = %+v", a)
	}
	if err := s.ResolveAlert(ctx, two.ID, "lead-1", domain.ViaAPI, domain.Resolution{Outcome: domain.OutcomeFalseAlarm, Note: "leaned on it"}, at); err != nil {
		t.Fatal(err)
	}
	if a := findAlert(t, s, two.ID); a.State != domain.AlertFalseAlarm || a.Outcome != domain.OutcomeFalseAlarm || a.Note != "leaned on it" {
		t.Fatalf("resolved as false alarm = %+v", a)
	}
	if err := s.ResolveAlert(ctx, two.ID, "lead-1", domain.ViaAPI, helped, at); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("resolve a false alarm: err = %v, want ErrConflict", err)
	}
	if a := findAlert(t, s, three.ID); a.State != domain.AlertFalseAlarm || a.Outcome != domain.OutcomeFalseAlarm || a.ClosedBy != domain.ClosedByGateway {
		t.Fatalf("cancelled = %+v", a)
	}
	if err := s.ResolveAlert(ctx, three.ID, "lead-1", domain.ViaAPI, helped, at); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("resolve a cancelled alert: err = %v, want ErrConflict", err)
	}
}
