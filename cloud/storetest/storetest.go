// Package storetest is the test suite every domain.Store implementation
// must pass (the SQLite one now, PostgreSQL later).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/google/uuid"
)

// Run runs the suite. newStore must return an empty store; the suite
// closes it.
func Run(t *testing.T, newStore func() domain.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, domain.Store)
	}{
		{"IngestTwiceStoresOnce", testIngestTwice},
		{"MealRow", testMealRow},
		{"AlertOpenMergeAck", testAlertOpenMergeAck},
		{"AlertCancelIsFalseAlarm", testAlertCancel},
		{"AckUnknownAndTwice", testAckErrors},
		{"ResolveAlert", testResolve},
		{"AlertMergeRules", testAlertMergeRules},
		{"ResolveRules", testResolveRules},
		{"PressAfterAckIsPressedAgain", testPressedAgain},
		{"ResolveOutcomeAndNote", testResolveOutcome},
		{"KioskAcksAndResolves", testKioskActions},
		{"SupervisionAlerts", testSupervisionAlerts},
		{"EscalationClaims", testEscalationClaims},
		{"AlarmLadder", testAlarmLadder},
		{"SilentGatewaySupervision", testSilentGatewaySupervision},
		{"Rejection", testRejection},
		{"GatewayCredentialAndState", testGatewayState},
		{"EventIDOfOtherGateway", testOtherGatewayID},
		{"SeqGapsAndClockSkew", testSeqAndSkew},
		{"SameBootStateOrder", testSameBootOrder},
		{"StateGroup", testStateGroup},
		{"MarkSilentOffline", testMarkSilentOffline},
		{"Presence", testPresence},           // presence.go
		{"BatchPresence", testBatchPresence}, // presence.go
		{"GatewayPage", testGatewayPage},     // presence.go
		{"Enrollment", testEnrollment},
		{"Commands", testCommands},
		{"IngestBatches", testIngestBatches},
		{"Org", testOrg},
		{"Roster", testRoster},
		{"RosterSourceAndPreviewBase", testRosterSource},
		{"Desired", testDesired},
		{"Menu", testMenu},
		{"CareSignal", testCareSignal},
		{"ServiceStats", testServiceStats},
		{"Settlement", testSettlement},
		{"CloseMonth", testCloseMonth},
		{"ReconcileOfflineSite", testReconcileOfflineSite},
		{"ReconcileConnectedIsZero", testReconcileConnectedIsZero},
		{"Charity", testCharity},
		{"Review", testReview},
		{"PolicySites", testPolicySites},
		{"MealPage", testMealPage},
		{"Users", testUsers},
		{"Audit", testAudit},
		{"Ping", testPing},
		{"Releases", testReleases}, // releases.go
		{"Rollouts", testRollouts}, // rollouts.go
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore()
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

var base = time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC) // 11:30 in Asia/Shanghai

// NewID returns a fresh UUIDv7.
func NewID(t testing.TB) string {
	t.Helper()
	u, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// Meal builds a valid meal envelope of gateway gw.
func Meal(t testing.TB, gw string, seq uint64, elder string, at time.Time) eldergate.Envelope {
	t.Helper()
	d := eldergate.MealData{ElderID: elder, Window: "lunch", Day: at.Add(8 * time.Hour).Format(time.DateOnly),
		Decision: eldergate.DecisionApproved, Reason: eldergate.ReasonOK, PriceFen: 1200, SubsidyFen: 500, PayFen: 700,
		PolicyVer: "p1"}
	return envelope(t, gw, seq, eldergate.KindMeal, at, d)
}

// Alert builds a valid alert envelope of gateway gw.
func Alert(t testing.TB, gw string, seq uint64, alertID, action, button string, at time.Time) eldergate.Envelope {
	t.Helper()
	d := eldergate.AlertData{AlertID: alertID, Action: action, Type: "emergency", Button: button, Place: "hall"}
	return envelope(t, gw, seq, eldergate.KindAlert, at, d)
}

func envelope(t testing.TB, gw string, seq uint64, kind eldergate.Kind, at time.Time, data any) eldergate.Envelope {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	e := eldergate.Envelope{ID: NewID(t), Kind: kind, GW: gw, Site: "site-" + gw, Seq: seq, Boot: 1,
		At: at.UTC(), Clock: eldergate.ClockSynced, Data: raw}
	if err := e.Validate(); err != nil {
		t.Fatalf("helper built an invalid envelope: %v", err)
	}
	return e
}

func ids(es []eldergate.Envelope) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func testIngestTwice(t *testing.T, s domain.Store) {
	ctx := context.Background()
	batch := []eldergate.Envelope{
		Meal(t, "gw-a", 1, "E1", base),
		Meal(t, "gw-a", 2, "E2", base.Add(time.Second)),
		Alert(t, "gw-a", 3, "al-1", eldergate.AlertRaised, "btn-1", base.Add(2*time.Second)),
	}
	got, err := s.IngestBatch(ctx, "gw-a", batch, base.Add(time.Minute))
	if err != nil {
		t.Fatalf("IngestBatch: %v", err)
	}
	if !sameSet(got, ids(batch)) {
		t.Fatalf("first ingest committed %v, want %v", got, ids(batch))
	}
	got, err = s.IngestBatch(ctx, "gw-a", batch, base.Add(2*time.Minute))
	if err != nil {
		t.Fatalf("IngestBatch again: %v", err)
	}
	if !sameSet(got, ids(batch)) {
		t.Fatalf("second ingest returned %v, want %v", got, ids(batch))
	}
	meals, err := s.ListMeals(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(meals) != 2 {
		t.Fatalf("got %d meals, want 2", len(meals))
	}
	alerts, err := s.ListAlerts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Presses != 1 {
		t.Fatalf("alerts after resend = %+v, want one with 1 press", alerts)
	}
	// Mixed batch: one old id, one new.
	fresh := Meal(t, "gw-a", 4, "E3", base.Add(3*time.Second))
	got, err = s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{batch[0], fresh}, base.Add(3*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(got, []string{batch[0].ID, fresh.ID}) {
		t.Fatalf("mixed batch returned %v", got)
	}
	if meals, _ = s.ListMeals(ctx, ""); len(meals) != 3 {
		t.Fatalf("got %d meals, want 3", len(meals))
	}
}

func testMealRow(t *testing.T, s domain.Store) {
	ctx := context.Background()
	older := Meal(t, "gw-a", 1, "E1", base)
	newer := Meal(t, "gw-a", 2, "E2", base.Add(time.Hour))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{older, newer}, base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	meals, err := s.ListMeals(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(meals) != 2 {
		t.Fatalf("got %d meals", len(meals))
	}
	m := meals[0]
	if m.EventID != newer.ID {
		t.Errorf("meals not newest first: first is %s, want %s", m.EventID, newer.ID)
	}
	want := domain.Meal{EventID: newer.ID, GW: "gw-a", Site: "site-gw-a", ElderID: "E2", Window: "lunch",
		Day: "2025-03-04", Decision: "approved", Reason: "ok", PriceFen: 1200, SubsidyFen: 500, PayFen: 700,
		PolicyVer: "p1", At: base.Add(time.Hour), ReceivedAt: base.Add(2 * time.Hour)}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("meal row\n got %+v\nwant %+v", m, want)
	}
	if m.At.Location() != time.UTC {
		t.Errorf("meal time not UTC: %v", m.At.Location())
	}
	gws, err := s.ListGateways(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(gws) != 1 || gws[0].ID != "gw-a" || gws[0].LastEventAt == nil || !gws[0].LastEventAt.Equal(base.Add(2*time.Hour)) {
		t.Errorf("gateway after ingest = %+v", gws)
	}
}

func findAlert(t *testing.T, s domain.Store, id string) domain.Alert {
	t.Helper()
	as, err := s.ListAlerts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("alert %s not listed in %+v", id, as)
	return domain.Alert{}
}

func testAlertOpenMergeAck(t *testing.T, s domain.Store) {
	ctx := context.Background()
	first := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{first}, base); err != nil {
		t.Fatal(err)
	}
	a := findAlert(t, s, first.ID)
	if a.State != domain.AlertOpen || a.Presses != 1 || a.Button != "btn-1" || a.GW != "gw-a" || !a.OpenedAt.Equal(base) {
		t.Fatalf("opened alert = %+v", a)
	}
	// Second press of the same button, new gateway alert id: merges.
	second := Alert(t, "gw-a", 2, "al-2", eldergate.AlertRaised, "btn-1", base.Add(10*time.Second))
	// Another button opens its own alert.
	other := Alert(t, "gw-a", 3, "al-3", eldergate.AlertRaised, "btn-2", base.Add(11*time.Second))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{second, other}, base); err != nil {
		t.Fatal(err)
	}
	a = findAlert(t, s, first.ID)
	if a.Presses != 2 || a.State != domain.AlertOpen || !a.LastAt.Equal(base.Add(10*time.Second)) {
		t.Fatalf("merged alert = %+v, want presses 2", a)
	}
	if as, _ := s.ListAlerts(ctx, ""); len(as) != 2 {
		t.Fatalf("got %d alerts, want 2", len(as))
	}
	ackAt := base.Add(time.Minute)
	if err := s.AckAlert(ctx, first.ID, "staff-1", domain.ViaConsole, ackAt); err != nil {
		t.Fatalf("AckAlert: %v", err)
	}
	a = findAlert(t, s, first.ID)
	if a.State != domain.AlertAcknowledged || a.AckedBy != "staff-1" || a.AckedAt == nil || !a.AckedAt.Equal(ackAt) {
		t.Fatalf("acked alert = %+v", a)
	}
	// A press while acknowledged merges as "pressed again".
	third := Alert(t, "gw-a", 4, "al-4", eldergate.AlertRaised, "btn-1", base.Add(2*time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{third}, base); err != nil {
		t.Fatal(err)
	}
	if a = findAlert(t, s, first.ID); a.Presses != 3 || a.State != domain.AlertAcknowledged || a.PressedAgainAt == nil {
		t.Fatalf("alert after press while acknowledged = %+v", a)
	}
	if o := findAlert(t, s, other.ID); o.State != domain.AlertOpen || o.Presses != 1 {
		t.Fatalf("other alert = %+v", o)
	}
}

func testAlertCancel(t *testing.T, s domain.Store) {
	ctx := context.Background()
	raise := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base)
	cancel := Alert(t, "gw-a", 2, "al-1", eldergate.AlertCancelled, "btn-1", base.Add(3*time.Second))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{raise, cancel}, base); err != nil {
		t.Fatal(err)
	}
	a := findAlert(t, s, raise.ID)
	if a.State != domain.AlertFalseAlarm || a.ClosedAt == nil {
		t.Fatalf("cancelled alert = %+v", a)
	}
	// A new press after a closed alert opens a new one.
	again := Alert(t, "gw-a", 3, "al-2", eldergate.AlertRaised, "btn-1", base.Add(time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{again}, base); err != nil {
		t.Fatal(err)
	}
	if b := findAlert(t, s, again.ID); b.State != domain.AlertOpen || b.Presses != 1 {
		t.Fatalf("new alert = %+v", b)
	}
}

func testAckErrors(t *testing.T, s domain.Store) {
	ctx := context.Background()
	if err := s.AckAlert(ctx, NewID(t), "x", domain.ViaConsole, base); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("ack unknown: err = %v, want ErrNotFound", err)
	}
	raise := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{raise}, base); err != nil {
		t.Fatal(err)
	}
	if err := s.AckAlert(ctx, raise.ID, "a", domain.ViaConsole, base); err != nil {
		t.Fatal(err)
	}
	if err := s.AckAlert(ctx, raise.ID, "b", domain.ViaConsole, base); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second ack: err = %v, want ErrConflict", err)
	}
	if a := findAlert(t, s, raise.ID); a.AckedBy != "a" {
		t.Fatalf("second ack changed acked_by: %+v", a)
	}
}

func testResolve(t *testing.T, s domain.Store) {
	ctx := context.Background()
	raise := Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", base)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{raise}, base); err != nil {
		t.Fatal(err)
	}
	if err := s.ResolveAlert(ctx, raise.ID, "staff", domain.ViaConsole, helped, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if a := findAlert(t, s, raise.ID); a.State != domain.AlertResolved || a.ClosedAt == nil {
		t.Fatalf("resolved alert = %+v", a)
	}
	if err := s.AckAlert(ctx, raise.ID, "x", domain.ViaConsole, base); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("ack resolved: err = %v, want ErrConflict", err)
	}
}

func testRejection(t *testing.T, s domain.Store) {
	ctx := context.Background()
	id := NewID(t)
	if err := s.RecordRejection(ctx, "gw-a", "payload is not a valid JSON batch", "", []byte("not json"), base); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 10000)
	for i := range big {
		big[i] = 'x'
	}
	if err := s.RecordRejection(ctx, "gw-a", "id: missing", id, big, base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	rs, err := s.ListRejections(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("got %d rejections, want 2", len(rs))
	}
	if rs[0].EventID != id || rs[0].Reason != "id: missing" || len(rs[0].PayloadPrefix) == 0 || len(rs[0].PayloadPrefix) > 4096 {
		t.Errorf("newest rejection = %+v (prefix %d bytes)", rs[0], len(rs[0].PayloadPrefix))
	}
	if rs[1].PayloadPrefix != "not json" || rs[1].GW != "gw-a" || !rs[1].At.Equal(base) {
		t.Errorf("oldest rejection = %+v", rs[1])
	}
}

func testGatewayState(t *testing.T, s domain.Store) {
	ctx := context.Background()
	if _, err := s.GatewayCredential(ctx, "gw-x"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown gateway: err = %v", err)
	}
	if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-a", Site: "s1", SecretHash: "h1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-a", Site: "s2", SecretHash: "h2"}); err != nil {
		t.Fatal(err)
	}
	c, err := s.GatewayCredential(ctx, "gw-a")
	if err != nil || c.Site != "s2" || c.SecretHash != "h2" {
		t.Fatalf("credential = %+v, %v", c, err)
	}
	step := func(st eldergate.State, at time.Time, wantApplied, wantOnline bool, wantBoot uint64) {
		t.Helper()
		applied, err := s.ApplyGatewayState(ctx, "gw-a", st, at)
		if err != nil {
			t.Fatal(err)
		}
		if applied != wantApplied {
			t.Errorf("state %+v applied = %v, want %v", st, applied, wantApplied)
		}
		gws, err := s.ListGateways(ctx, "")
		if err != nil || len(gws) != 1 {
			t.Fatalf("ListGateways = %+v, %v", gws, err)
		}
		if g := gws[0]; g.Online != wantOnline || g.Boot != wantBoot || g.Site != "s2" {
			t.Errorf("after %+v gateway = %+v", st, g)
		}
	}
	step(eldergate.State{Online: true, Boot: 5, Version: "1.0"}, base, true, true, 5)
	step(eldergate.State{Online: false, Boot: 4}, base.Add(time.Second), false, true, 5) // late will of an old session
	step(eldergate.State{Online: false, Boot: 5}, base.Add(2*time.Second), true, false, 5)
	step(eldergate.State{Online: true, Boot: 6, Version: "1.1"}, base.Add(3*time.Second), true, true, 6)
	gws, _ := s.ListGateways(ctx, "")
	if gws[0].Version != "1.1" || gws[0].LastSeen == nil || !gws[0].LastSeen.Equal(base.Add(3*time.Second)) {
		t.Errorf("gateway = %+v", gws[0])
	}
}

func testOtherGatewayID(t *testing.T, s domain.Store) {
	ctx := context.Background()
	e := Meal(t, "gw-a", 1, "E1", base)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{e}, base); err != nil {
		t.Fatal(err)
	}
	// gw-b replays gw-a's event id: never acknowledged to gw-b.
	forged := e
	forged.GW = "gw-b"
	got, err := s.IngestBatch(ctx, "gw-b", []eldergate.Envelope{forged}, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("gw-b got %v acknowledged for gw-a's event", got)
	}
	// An event whose gw differs from the batch's gateway is not stored.
	wrong := Meal(t, "gw-b", 2, "E2", base)
	got, err = s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{wrong}, base)
	if err != nil || len(got) != 0 {
		t.Fatalf("foreign event: got %v, %v", got, err)
	}
	if meals, _ := s.ListMeals(ctx, ""); len(meals) != 1 {
		t.Fatalf("got %d meals, want 1", len(meals))
	}
}

// testSeqAndSkew: seq is a per-gateway counter across boots; missing seqs
// between the lowest and highest committed are gaps, filled when the
// missing events arrive late; the clock skew is receipt minus at of the
// freshest event of the last batch.
func testSeqAndSkew(t *testing.T, s domain.Store) {
	ctx := context.Background()
	check := func(wantMax uint64, wantGaps, wantCount int64, wantSkew int64) {
		t.Helper()
		st, err := s.GatewaySeq(ctx, "gw-a")
		if err != nil {
			t.Fatal(err)
		}
		if st.Max != wantMax || st.Gaps != wantGaps || st.Count != wantCount {
			t.Errorf("GatewaySeq = %+v, want max %d gaps %d count %d", st, wantMax, wantGaps, wantCount)
		}
		gws, err := s.ListGateways(ctx, "")
		if err != nil || len(gws) != 1 {
			t.Fatalf("ListGateways = %+v, %v", gws, err)
		}
		g := gws[0]
		if g.SeqMax != wantMax || g.SeqGaps != wantGaps || g.ClockSkewMs == nil || *g.ClockSkewMs != wantSkew {
			t.Errorf("gateway = %+v (skew %v), want seq_max %d seq_gaps %d skew %d", g, g.ClockSkewMs, wantMax, wantGaps, wantSkew)
		}
	}
	if st, err := s.GatewaySeq(ctx, "gw-a"); err != nil || st != (domain.SeqStats{}) {
		t.Fatalf("no events: %+v, %v", st, err)
	}
	e := func(seq uint64, at time.Time) eldergate.Envelope { return Meal(t, "gw-a", seq, "E1", at) }
	// seqs 1,2,3 then 6,7 (4 and 5 missing); received 1.5 s after the newest at.
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{e(1, base), e(2, base), e(3, base)}, base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	check(3, 0, 3, 1000)
	late := e(4, base.Add(-time.Hour)) // from the outbox backlog: not skew
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{e(6, base.Add(10*time.Second)), e(7, base.Add(10*time.Second))},
		base.Add(11500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	check(7, 2, 5, 1500)
	// The gateway's clock is 2 s ahead: negative skew; seq 4 fills one gap.
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{late, e(8, base.Add(22*time.Second))}, base.Add(20*time.Second)); err != nil {
		t.Fatal(err)
	}
	check(8, 1, 7, -2000)
	if n, err := s.CountEvents(ctx); err != nil || n != 7 {
		t.Errorf("CountEvents = %d, %v, want 7", n, err)
	}
}

// testPing: the watchdog's query answers on an open store and fails on a
// done context, so a hung database stops feeding the watchdog.
func testPing(t *testing.T, s domain.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping on a cancelled context answered nil")
	}
}
