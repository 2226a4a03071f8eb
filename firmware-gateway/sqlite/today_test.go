package sqlite_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// TestDayCounts records a day of meals (and one of the day before) and
// checks every count and total of the staff screen, per window and for
// the day: refusals are not served, a voided meal leaves the served
// counts and totals, a manual meal counts by hand.
func TestDayCounts(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var elders []eldergate.Elder
	for _, id := range []string{"E1", "E2", "E3", "E4", "E5", "E6"} {
		elders = append(elders, eldergate.Elder{ID: id, Name: "张三", Card: "C" + id, Active: true})
	}
	if err := s.UpsertElders(ctx, elders); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
	commit := func(elder, day, window, decision string, price, subsidy, pay eldergate.Fen, manual bool) string {
		t.Helper()
		e := env(eldergate.KindMeal)
		if manual {
			e.Data = json.RawMessage(`{"manual":true,"staff":"S001"}`)
		}
		at = at.Add(time.Minute)
		m := sqlite.Meal{ElderID: elder, Day: day, Window: window, Decision: decision, Reason: "ok", PriceFen: price, SubsidyFen: subsidy, PayFen: pay, At: at}
		stored, err := s.Commit(ctx, e, &m)
		if err != nil {
			t.Fatal(err)
		}
		return stored.ID
	}
	const day = "2025-03-03"
	commit("E1", "2025-03-02", "dinner", eldergate.DecisionApproved, 1200, 800, 400, false) // the day before
	commit("E1", day, "lunch", eldergate.DecisionApproved, 1500, 1000, 500, false)
	commit("E2", day, "lunch", eldergate.DecisionDiscounted, 1500, 0, 1200, false)
	commit("E3", day, "lunch", eldergate.DecisionRefused, 0, 0, 0, false)
	commit("E4", day, "lunch", eldergate.DecisionApproved, 1500, 1000, 500, true) // by hand
	voided := commit("E5", day, "lunch", eldergate.DecisionApproved, 1500, 1000, 500, false)
	commit("E6", day, "dinner", eldergate.DecisionFullPay, 1200, 0, 1200, false)
	audit := env(eldergate.KindAudit)
	if _, _, err := s.VoidMeal(ctx, voided, time.Time{}, audit, func(sqlite.VoidedMeal) (any, error) { return map[string]string{}, nil }); err != nil {
		t.Fatal(err)
	}

	got, err := s.DayCounts(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	lunch := sqlite.MealCounts{Window: "lunch", Served: 3, Subsidised: 2, Discounted: 1, Refused: 1, Manual: 1, Voided: 1, SubsidyFen: 2000, PayFen: 2200}
	dinner := sqlite.MealCounts{Window: "dinner", Served: 1, FullPay: 1, PayFen: 1200}
	total := sqlite.MealCounts{Served: 4, Subsidised: 2, Discounted: 1, FullPay: 1, Refused: 1, Manual: 1, Voided: 1, SubsidyFen: 2000, PayFen: 3400}
	if got.Day != day || len(got.Windows) != 2 || got.Windows[0] != lunch || got.Windows[1] != dinner || got.Total != total {
		t.Fatalf("day counts = %+v\nwant lunch %+v, dinner %+v, total %+v", got, lunch, dinner, total)
	}

	empty, err := s.DayCounts(ctx, "2025-03-04")
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Windows) != 0 || empty.Total != (sqlite.MealCounts{}) {
		t.Fatalf("a day without meals = %+v", empty)
	}
}
