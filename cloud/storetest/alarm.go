package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// The alarm workflow as every store keeps it: staff actions from the
// kiosk, supervision alerts, the timeline, the escalation and kiosk-push
// claims, the ladder of settings and the silent-gateway supervision.

func kioskAction(t *testing.T, gw string, seq uint64, d eldergate.AlertData, at time.Time) eldergate.Envelope {
	t.Helper()
	return envelope(t, gw, seq, eldergate.KindAlert, at, d)
}

func kinds(log []domain.AlertLogEntry) []string {
	out := make([]string, len(log))
	for i, l := range log {
		out[i] = l.Kind
	}
	return out
}

// testKioskActions: a kiosk acknowledges (by its own alert id) and
// resolves (by the cloud's id, as an alert command gave it) with an
// outcome; the timeline records each step in order; a second
// acknowledgement changes nothing.
func testKioskActions(t *testing.T, s domain.Store) {
	ctx := context.Background()
	press := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base)
	ack := kioskAction(t, "gw-a", 2, eldergate.AlertData{AlertID: "al-1", Action: eldergate.AlertAcknowledged, By: "张*明"}, base.Add(20*time.Second))
	ack2 := kioskAction(t, "gw-a", 3, eldergate.AlertData{AlertID: "al-1", Action: eldergate.AlertAcknowledged, By: "李*"}, base.Add(25*time.Second))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{press, ack, ack2}, base); err != nil {
		t.Fatal(err)
	}
	a := findAlert(t, s, press.ID)
	if a.State != domain.AlertAcknowledged || a.AckedBy != "张*明" || a.AckedVia != domain.ViaKiosk || a.Escalation.DueAt != nil {
		t.Fatalf("after the kiosk's ack: %+v", a)
	}
	resolve := kioskAction(t, "gw-a", 4, eldergate.AlertData{AlertID: press.ID, Action: eldergate.AlertResolved,
		By: "张*明", Outcome: string(domain.OutcomeSentToHospital), Note: "120 到场"}, base.Add(5*time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{resolve}, base); err != nil {
		t.Fatal(err)
	}
	a = findAlert(t, s, press.ID)
	if a.State != domain.AlertResolved || a.Outcome != domain.OutcomeSentToHospital || a.Note != "120 到场" || a.ClosedBy != "张*明" {
		t.Fatalf("after the kiosk's resolve: %+v", a)
	}
	log, err := s.AlertLog(ctx, press.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(log); len(got) != 3 || got[0] != domain.AlertLogOpened || got[1] != domain.AlertLogAcknowledged || got[2] != domain.AlertLogResolved {
		t.Fatalf("timeline %v, want opened, acknowledged, resolved", got)
	}
	if log[2].Detail != string(domain.OutcomeSentToHospital) || !log[1].At.Equal(base.Add(20*time.Second)) || log[1].Via != "kiosk" {
		t.Fatalf("timeline entries %+v", log)
	}
	// An action of another site's gateway naming this alert's cloud id does nothing.
	foreign := kioskAction(t, "gw-b", 1, eldergate.AlertData{AlertID: press.ID, Action: eldergate.AlertAcknowledged, By: "x"}, base)
	if _, err := s.IngestBatch(ctx, "gw-b", []eldergate.Envelope{foreign}, base); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.AlertLog(ctx, press.ID); len(l) != 3 {
		t.Fatalf("another site's action changed the timeline: %v", kinds(l))
	}
}

// testSupervisionAlerts: a supervision fault of a button is its own
// alert (never merged with a press of the same button), merges with the
// same fault, and is closed as recovered by a clear.
func testSupervisionAlerts(t *testing.T, s domain.Store) {
	ctx := context.Background()
	sup := eldergate.AlertData{AlertID: "sv-1", Action: eldergate.AlertRaised, Type: eldergate.AlertTypeSupervision,
		Button: "433:1", Reason: eldergate.SuperviseBatteryLow}
	low := kioskAction(t, "gw-a", 1, sup, base)
	press := Alert(t, "gw-a", 2, "al-1", eldergate.AlertRaised, "433:1", base.Add(time.Second))
	sup.AlertID = "sv-2"
	lowAgain := kioskAction(t, "gw-a", 3, sup, base.Add(time.Hour))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{low, press, lowAgain}, base); err != nil {
		t.Fatal(err)
	}
	a, p := findAlert(t, s, low.ID), findAlert(t, s, press.ID)
	if a.Type != eldergate.AlertTypeSupervision || a.Reason != eldergate.SuperviseBatteryLow || a.Presses != 2 || p.Presses != 1 || p.Type != "emergency" {
		t.Fatalf("supervision %+v, press %+v", a, p)
	}
	clear := kioskAction(t, "gw-a", 4, eldergate.AlertData{AlertID: "sv-2", Action: eldergate.AlertCleared,
		Type: eldergate.AlertTypeSupervision, Button: "433:1", Reason: eldergate.SuperviseBatteryLow}, base.Add(2*time.Hour))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{clear}, base); err != nil {
		t.Fatal(err)
	}
	if a = findAlert(t, s, low.ID); a.State != domain.AlertResolved || a.Outcome != domain.OutcomeRecovered || a.ClosedBy != domain.ClosedByGateway {
		t.Fatalf("cleared supervision alert: %+v", a)
	}
	if p = findAlert(t, s, press.ID); p.State != domain.AlertOpen {
		t.Fatalf("the clear closed the emergency too: %+v", p)
	}
}

// testEscalationClaims: a new alert is due at once; only one runner
// takes a due step; the kiosk push of a version is taken once.
func testEscalationClaims(t *testing.T, s domain.Store) {
	ctx := context.Background()
	press := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{press}, base); err != nil {
		t.Fatal(err)
	}
	if due, err := s.DueAlerts(ctx, base.Add(-time.Second), 10); err != nil || len(due) != 0 {
		t.Fatalf("due before the press: %v, %v", due, err)
	}
	due, err := s.DueAlerts(ctx, base, 10)
	if err != nil || len(due) != 1 || due[0].Escalation.Level != -1 {
		t.Fatalf("due at the press: %+v, %v", due, err)
	}
	prev := due[0].Escalation
	since, next := base, base.Add(time.Minute)
	step := domain.Escalation{Level: 0, Since: &since, DueAt: &next}
	entry := domain.AlertLogEntry{AlertID: press.ID, At: base, Kind: domain.AlertLogNotified, Level: "site-gw-a", Detail: "raised"}
	if ok, err := s.AdvanceEscalation(ctx, press.ID, prev, step, []domain.AlertLogEntry{entry}); err != nil || !ok {
		t.Fatalf("first claim: %v, %v", ok, err)
	}
	if ok, err := s.AdvanceEscalation(ctx, press.ID, prev, step, []domain.AlertLogEntry{entry}); err != nil || ok {
		t.Fatalf("second claim of the same step: %v, %v", ok, err)
	}
	a := findAlert(t, s, press.ID)
	if a.Escalation.Level != 0 || a.Escalation.DueAt == nil || !a.Escalation.DueAt.Equal(next) || !a.Escalation.Since.Equal(since) {
		t.Fatalf("stored escalation %+v", a.Escalation)
	}
	if log, _ := s.AlertLog(ctx, press.ID); len(log) != 2 || log[1].Kind != domain.AlertLogNotified {
		t.Fatalf("timeline %v", kinds(log))
	}
	push, err := s.AlertsToPush(ctx, 10)
	if err != nil || len(push) != 1 || push[0].Version != 1 {
		t.Fatalf("to push: %+v, %v", push, err)
	}
	if ok, _ := s.MarkAlertPushed(ctx, press.ID, 1); !ok {
		t.Fatal("first push not taken")
	}
	if ok, _ := s.MarkAlertPushed(ctx, press.ID, 1); ok {
		t.Fatal("the same version pushed twice")
	}
	if err := s.AckAlert(ctx, press.ID, "console-user", domain.ViaConsole, base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if push, _ := s.AlertsToPush(ctx, 10); len(push) != 1 || push[0].Version != 2 || push[0].Escalation.DueAt != nil {
		t.Fatalf("after the ack: %+v", push)
	}
	if due, _ := s.DueAlerts(ctx, base.Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("an acknowledged alert is due: %+v", due)
	}
	// A press after the ack is due at once for the re-notification.
	again := Alert(t, "gw-a", 2, "al-2", eldergate.AlertRaised, "btn-1", base.Add(time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{again}, base); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueAlerts(ctx, base.Add(time.Minute), 10); len(due) != 1 || !due[0].Escalation.Renotify {
		t.Fatalf("pressed again is not due: %+v", due)
	}
	log, _ := s.AlertLogSince(ctx, 0, 100)
	if len(log) < 4 || log[len(log)-1].Kind != domain.AlertLogPressedAgain {
		t.Fatalf("log since 0: %v", kinds(log))
	}
	if rest, _ := s.AlertLogSince(ctx, log[len(log)-2].Seq, 100); len(rest) != 1 {
		t.Fatalf("log since the second last: %v", kinds(rest))
	}
}

// testAlarmLadder: the ladder of a site climbs the tree with stored
// settings or the defaults; a site outside the tree is alone.
func testAlarmLadder(t *testing.T, s domain.Store) {
	ctx := context.Background()
	CreateOrgTree(t, s)
	if err := s.PutAlarmSettings(ctx, "c-b1", []byte(`{"remind_after_s":30,"escalate_after_s":90}`), "admin", base); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAlarmSettings(ctx, "nowhere", []byte(`{}`), "admin", base); err == nil {
		t.Fatal("settings of an unknown unit stored")
	}
	ladder, err := s.AlarmLadder(ctx, "site-gw-b1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ladder) != 4 || ladder[0].Unit != "site-gw-b1" || ladder[1].Unit != "c-b1" || ladder[3].Level != domain.LevelDistrict {
		t.Fatalf("ladder %+v", ladder)
	}
	if ladder[1].Settings.EscalateAfter != 90 || ladder[0].Settings.EscalateAfter != 120 || ladder[3].Settings.EscalateAfter != 0 {
		t.Fatalf("settings %+v", ladder)
	}
	if ladder, _ := s.AlarmLadder(ctx, "site-outside"); len(ladder) != 1 || ladder[0].Unit != "site-outside" {
		t.Fatalf("ladder of a site outside the tree: %+v", ladder)
	}
}

// testSilentGatewaySupervision: a gateway seen once and silent since is
// listed until a supervision alert is live for it; it ends when the
// gateway is online again.
func testSilentGatewaySupervision(t *testing.T, s domain.Store) {
	ctx := context.Background()
	for _, gw := range []string{"gw-a", "gw-never"} {
		if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-" + gw}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ApplyGatewayState(ctx, "gw-a", eldergate.State{Online: true, Boot: 1}, base); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SilentGateways(ctx, base); len(got) != 0 {
		t.Fatalf("silent at once: %+v", got)
	}
	got, err := s.SilentGateways(ctx, base.Add(time.Second))
	if err != nil || len(got) != 1 || got[0].ID != "gw-a" || got[0].Site != "site-gw-a" {
		t.Fatalf("silent gateways %+v, %v (a gateway never seen is not watched)", got, err)
	}
	if _, err := s.MarkSilentOffline(ctx, base.Add(time.Second), base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	raise := envelope(t, "gw-a", 1, eldergate.KindAlert, base.Add(time.Second), eldergate.AlertData{AlertID: "silent-1",
		Action: eldergate.AlertRaised, Type: eldergate.AlertTypeSupervision, Button: "gateway", Reason: eldergate.SuperviseGatewaySilent})
	raise.Seq, raise.Boot = 0, 0
	if err := s.RecordCloudAlert(ctx, raise); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SilentGateways(ctx, base.Add(time.Minute)); len(got) != 0 {
		t.Fatalf("still listed with a live alert: %+v", got)
	}
	if ended, _ := s.SilenceEnded(ctx); len(ended) != 0 {
		t.Fatalf("ended while offline: %+v", ended)
	}
	if _, err := s.ApplyGatewayState(ctx, "gw-a", eldergate.State{Online: true, Boot: 2}, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ended, err := s.SilenceEnded(ctx)
	if err != nil || len(ended) != 1 || ended[0].ID != raise.ID {
		t.Fatalf("silence ended: %+v, %v", ended, err)
	}
	clear := envelope(t, "gw-a", 1, eldergate.KindAlert, base.Add(time.Hour), eldergate.AlertData{AlertID: "silent-1",
		Action: eldergate.AlertCleared, Type: eldergate.AlertTypeSupervision, Button: "gateway", Reason: eldergate.SuperviseGatewaySilent})
	clear.Seq, clear.Boot = 0, 0
	if err := s.RecordCloudAlert(ctx, clear); err != nil {
		t.Fatal(err)
	}
	if a := findAlert(t, s, raise.ID); a.State != domain.AlertResolved || a.ClosedBy != domain.ClosedByCloud {
		t.Fatalf("cleared: %+v", a)
	}
	if board, _ := s.BoardAlerts(ctx, "", base); len(board) != 1 {
		t.Fatalf("board: %+v", board)
	}
	alerts, log, err := s.AlertLogBetween(ctx, "", base, base.Add(time.Hour))
	if err != nil || len(alerts) != 1 || len(log) != 2 {
		t.Fatalf("between: %d alerts, %v, %v", len(alerts), kinds(log), err)
	}
}
