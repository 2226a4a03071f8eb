package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/policy"
)

// lunchPeriods are the usage keys of lunch on Monday 3 March 2025.
var lunchPeriods = policy.Periods{Window: "window:2025-03-03/lunch", Day: "day:2025-03-03", Week: "week:2025-W10", Month: "month:2025-03"}

func commitMeal(t *testing.T, s *sqlite.Store, decision string, subsidy eldergate.Fen, ps policy.Periods) eldergate.Envelope {
	t.Helper()
	e := env(eldergate.KindMeal)
	m := &sqlite.Meal{ElderID: "E1", Day: "2025-03-03", Window: "lunch", Decision: decision, Reason: "ok",
		PriceFen: 1500, SubsidyFen: subsidy, PayFen: 1500 - subsidy, At: e.At, PolicyVersion: "p1",
		Policy: &sqlite.MealPolicy{Rule: "r1", Funding: []eldergate.FundingShare{{Layer: "city", Fen: subsidy}}, UsageKeys: ps.Keys()}}
	stored, err := s.Commit(t.Context(), e, m)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

func openUsageStore(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gw.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.UpsertElders(t.Context(), []eldergate.Elder{{ID: "E1", Name: "张三", Card: "C1", Active: true}}); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// TestUsageCountersInTheMealTransaction: an approved meal adds one meal
// and its subsidy to the window, day, week and month counters; a full-pay
// meal adds nothing; a failed commit adds nothing; a void takes the meal
// out again.
func TestUsageCountersInTheMealTransaction(t *testing.T) {
	ctx := t.Context()
	s, path := openUsageStore(t)
	first := commitMeal(t, s, eldergate.DecisionApproved, 1000, lunchPeriods)
	commitMeal(t, s, eldergate.DecisionFullPay, 0, lunchPeriods)
	u, err := s.Usage(ctx, "E1", lunchPeriods, "s")
	if err != nil {
		t.Fatal(err)
	}
	one := policy.Counter{Count: 1, SubsidyFen: 1000}
	if u != (policy.Usage{Window: one, Day: one, Week: one, Month: one}) {
		t.Fatalf("usage after one subsidised meal = %+v", u)
	}
	// The same event id again: the outbox refuses it and the counters
	// must not move (same transaction).
	dup := env(eldergate.KindMeal)
	dup.ID = first.ID
	_, err = s.Commit(ctx, dup, &sqlite.Meal{ElderID: "E1", Day: "2025-03-03", Window: "lunch", Decision: eldergate.DecisionApproved,
		PriceFen: 1500, SubsidyFen: 1000, At: dup.At, Policy: &sqlite.MealPolicy{UsageKeys: lunchPeriods.Keys()}})
	if err == nil {
		t.Fatal("duplicate event committed")
	}
	// A meal for an elder not on the roster fails on the foreign key:
	// nothing is counted for anyone.
	bad := env(eldergate.KindMeal)
	if _, err := s.Commit(ctx, bad, &sqlite.Meal{ElderID: "nobody", Day: "2025-03-03", Window: "lunch", Decision: eldergate.DecisionApproved,
		PriceFen: 1500, SubsidyFen: 1000, At: bad.At, Policy: &sqlite.MealPolicy{UsageKeys: lunchPeriods.Keys()}}); err == nil {
		t.Fatal("meal of an unknown elder committed")
	}
	if u, _ := s.Usage(ctx, "E1", lunchPeriods, "s"); u.Month != one {
		t.Fatalf("failed commits changed the counters: %+v", u)
	}
	if u, _ := s.Usage(ctx, "nobody", lunchPeriods, "s"); u.Month.Count != 0 {
		t.Fatalf("failed commit counted for its elder: %+v", u)
	}
	// The policy columns are stored with the meal.
	db, err := sql.Open("sqlite3", path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rule, funding, keys string
	db.QueryRow(`SELECT rule_id, funding, usage_keys FROM meals WHERE event_id = ?`, first.ID).Scan(&rule, &funding, &keys)
	if rule != "r1" || funding != `[{"layer":"city","fen":1000}]` || keys != "window:2025-03-03/lunch day:2025-03-03 week:2025-W10 month:2025-03" {
		t.Fatalf("meal policy columns: %q %q %q", rule, funding, keys)
	}

	// Only the elder's last meal can be voided: the full-pay one is last,
	// and voiding it leaves the counters alone.
	audit := func() eldergate.Envelope { return env(eldergate.KindAudit) }
	rows, _ := s.Outbox(ctx)
	last := rows[len(rows)-1].ID
	if _, _, err := s.VoidMeal(ctx, last, time.Time{}, audit(), nil); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.Usage(ctx, "E1", lunchPeriods, "s"); u.Window != one {
		t.Fatalf("voiding a full-pay meal changed the counters: %+v", u)
	}
	if _, _, err := s.VoidMeal(ctx, first.ID, time.Time{}, audit(), nil); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.Usage(ctx, "E1", lunchPeriods, "s"); u != (policy.Usage{}) {
		t.Fatalf("after the void usage = %+v, want nothing", u)
	}
}

// TestRemoteUsage: usage pushed by the cloud counts in the day, ISO week
// and month it belongs to, never twice when pushed again, never for this
// gateway's own site; the sync time is recorded.
func TestRemoteUsage(t *testing.T) {
	ctx := t.Context()
	s, _ := openUsageStore(t)
	if _, ok, err := s.UsageSyncedAt(ctx); ok || err != nil {
		t.Fatalf("never synced: ok %v err %v", ok, err)
	}
	commitMeal(t, s, eldergate.DecisionApproved, 500, lunchPeriods)
	rows := []sqlite.RemoteUsage{
		{ElderID: "E1", Site: "other", Day: "2025-03-03", Meals: 1, SubsidyFen: 700}, // today
		{ElderID: "E1", Site: "other", Day: "2025-03-02", Meals: 1, SubsidyFen: 100}, // Sunday: last ISO week, same month
		{ElderID: "E1", Site: "third", Day: "2025-03-09", Meals: 2, SubsidyFen: 200}, // Sunday: this week
		{ElderID: "E1", Site: "third", Day: "2025-02-28", Meals: 1, SubsidyFen: 50},  // last month, last week
		{ElderID: "E1", Site: "s", Day: "2025-03-03", Meals: 9, SubsidyFen: 9000},    // own site: ignored
		{ElderID: "E2", Site: "other", Day: "2025-03-03", Meals: 1, SubsidyFen: 100}, // another elder
		{ElderID: "E1", Site: "other", Day: "2025-04-01", Meals: 1, SubsidyFen: 100}, // next month
	}
	at := time.Date(2025, 3, 3, 3, 0, 0, 0, time.UTC)
	for range 2 { // idempotent
		if n, err := s.ApplyRemoteUsage(ctx, rows, at); err != nil || n != len(rows) {
			t.Fatalf("apply = %d, %v", n, err)
		}
	}
	u, err := s.Usage(ctx, "E1", lunchPeriods, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := policy.Usage{
		Window: policy.Counter{Count: 1, SubsidyFen: 500},
		Day:    policy.Counter{Count: 2, SubsidyFen: 1200},
		Week:   policy.Counter{Count: 4, SubsidyFen: 1400},
		Month:  policy.Counter{Count: 5, SubsidyFen: 1500},
	}
	if u != want {
		t.Fatalf("usage = %+v, want %+v", u, want)
	}
	// A newer total for the same source and day replaces the old one.
	if _, err := s.ApplyRemoteUsage(ctx, []sqlite.RemoteUsage{{ElderID: "E1", Site: "other", Day: "2025-03-03", Meals: 2, SubsidyFen: 1400}}, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.Usage(ctx, "E1", lunchPeriods, "s"); u.Day != (policy.Counter{Count: 3, SubsidyFen: 1900}) {
		t.Fatalf("day after the newer total = %+v", u.Day)
	}
	if got, ok, err := s.UsageSyncedAt(ctx); !ok || err != nil || !got.Equal(at.Add(time.Hour)) {
		t.Fatalf("synced at = %v %v %v", got, ok, err)
	}
	for _, bad := range [][]sqlite.RemoteUsage{
		{{ElderID: "E1", Site: "x", Day: "3 March", Meals: 1}},
		{{ElderID: "", Site: "x", Day: "2025-03-03", Meals: 1}},
		{{ElderID: "E1", Site: "x", Day: "2025-03-03", Meals: -1}},
	} {
		if _, err := s.ApplyRemoteUsage(ctx, bad, at.Add(2*time.Hour)); err == nil {
			t.Errorf("bad rows %+v accepted", bad)
		}
	}
	if got, _, _ := s.UsageSyncedAt(ctx); !got.Equal(at.Add(time.Hour)) {
		t.Fatalf("a rejected batch moved the sync time to %v", got)
	}
}

// TestUsageBackfilledFromFirstVersion: approved meals recorded by the
// first version become counters, with the right ISO week.
func TestUsageBackfilledFromFirstVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gw.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	init, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(init), `CREATE TABLE schema_version (version INTEGER NOT NULL)`, `INSERT INTO schema_version VALUES (1)`,
		`INSERT INTO elders (id, name, card, active) VALUES ('E1', '张三', 'C1', 1)`,
		`INSERT INTO outbox (id, seq, priority, kind, payload, created_at) VALUES ('a', 1, 10, 'meal', '{}', 'x'), ('b', 2, 10, 'meal', '{}', 'x'), ('c', 3, 10, 'meal', '{}', 'x'), ('d', 4, 10, 'meal', '{}', 'x')`,
		`INSERT INTO meals (event_id, elder_id, day, meal_window, decision, reason, price_fen, subsidy_fen, pay_fen, at) VALUES
			('a', 'E1', '2024-12-30', 'lunch', 'approved', 'ok', 1500, 1000, 500, 'x'),
			('b', 'E1', '2025-01-01', 'lunch', 'approved', 'ok', 1500, 1000, 500, 'x'),
			('c', 'E1', '2025-01-01', 'dinner', 'refused', 'already_served', 0, 0, 0, 'x'),
			('d', 'E1', '2024-12-29', 'lunch', 'approved', 'ok', 1500, 800, 700, 'x')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps := policy.Periods{Window: "window:2025-01-01/lunch", Day: "day:2025-01-01", Week: "week:2025-W01", Month: "month:2025-01"}
	u, err := s.Usage(t.Context(), "E1", ps, "s")
	if err != nil {
		t.Fatal(err)
	}
	// 30 Dec 2024 and 1 Jan 2025 are both in ISO week 2025-W01; 29 Dec is in 2024-W52.
	if u.Window.Count != 1 || u.Day.Count != 1 || u.Week != (policy.Counter{Count: 2, SubsidyFen: 2000}) || u.Month.Count != 1 {
		t.Fatalf("backfilled usage = %+v", u)
	}
	prev := policy.Periods{Day: "day:2024-12-29", Week: "week:2024-W52", Month: "month:2024-12"}
	if u, _ := s.Usage(t.Context(), "E1", prev, "s"); u.Week != (policy.Counter{Count: 1, SubsidyFen: 800}) || u.Month.Count != 2 {
		t.Fatalf("2024-W52 usage = %+v", u)
	}
}
