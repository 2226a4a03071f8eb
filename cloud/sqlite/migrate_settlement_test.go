package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// TestMigrationSettlementBackfill: a database from before migration 0012
// gets the settlement columns, funding shares and voids of the meals it
// holds from their stored event JSON, once, at open: the settlement rows
// are the ones ingest gives.
func TestMigrationSettlementBackfill(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)
	meal := func(seq uint64, d eldergate.MealData) eldergate.Envelope {
		raw, _ := json.Marshal(d)
		e := eldergate.Envelope{ID: storetest.NewID(t), Kind: eldergate.KindMeal, GW: "gw-a", Site: "site-gw-a", Seq: seq, Boot: 1,
			At: at.Add(time.Duration(seq) * time.Minute), Clock: eldergate.ClockSynced, Data: raw}
		if err := e.Validate(); err != nil {
			t.Fatal(err)
		}
		return e
	}
	m1 := meal(1, eldergate.MealData{ElderID: "E1", Window: "lunch", Day: "2025-03-04", Decision: eldergate.DecisionApproved,
		PriceFen: 1500, SubsidyFen: 400, PayFen: 1000, DiscountFen: 100, Rule: "r1", OperatingFen: 100, OperatingBy: "district",
		Manual: true, Staff: "s1", Funding: []eldergate.FundingShare{{Layer: "city", Code: "440300", Fen: 250}, {Layer: "charity", Fen: 150}}})
	m2 := meal(2, eldergate.MealData{ElderID: "E2", Window: "lunch", Day: "2025-03-04", Decision: eldergate.DecisionApproved,
		PriceFen: 1500, SubsidyFen: 300, PayFen: 1200, Rule: "r1", Funding: []eldergate.FundingShare{{Layer: "city", Code: "440300", Fen: 300}}})
	vraw, _ := json.Marshal(map[string]string{"type": "meal_void", "staff": "s1", "meal_event_id": m2.ID})
	void := eldergate.Envelope{ID: storetest.NewID(t), Kind: eldergate.KindAudit, GW: "gw-a", Site: "site-gw-a", Seq: 3, Boot: 1,
		At: at.Add(5 * time.Minute), Clock: eldergate.ClockSynced, Data: vraw}
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{m1, m2, void}, at); err != nil {
		t.Fatal(err)
	}
	from, to := at.Add(-time.Hour), at.Add(time.Hour)
	rows := func() string {
		mr, fr, err := s.SettlementRows(ctx, "", from, to)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v %+v", mr, fr)
	}
	before := rows()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to the schema of 0011 (without 0012 and 0014, which needs it).
	db, err := sql.Open("sqlite3", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	qs := []string{`DROP TABLE statement_sites`, `DROP TABLE statements`, `DROP INDEX meals_adjust`,
		`ALTER TABLE meals DROP COLUMN adjust_month`, `DELETE FROM schema_version WHERE version = 14`, `DROP TABLE meal_funding`, `DROP TABLE meal_voids`, `DROP TABLE backfills`, `DROP INDEX meals_site_at`,
		`DELETE FROM schema_version WHERE version = 12`}
	for _, c := range []string{"rule", "discount_fen", "operating_fen", "operating_by", "manual", "staff", "price_source", "category", "outside"} {
		qs = append(qs, `ALTER TABLE meals DROP COLUMN `+c)
	}
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	defer s.Close()
	after := rows()
	if after != before {
		t.Fatalf("after the back-fill:\n%s\nwant (as ingested)\n%s", after, before)
	}
	for _, want := range []string{"Rule:r1", "Manual:true", "Voided:true", "Layer:charity", "DiscountFen:100", "OperatingFen:100"} {
		if !strings.Contains(before, want) {
			t.Errorf("rows lack %s: %s", want, before)
		}
	}
}
