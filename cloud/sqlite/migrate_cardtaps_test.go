package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// TestMigrationCardTaps: a database from before migration 0023 holds the
// gateway's tap_refused audit events only as events; the migration copies
// each into card_taps (card, reason, reader, site, times), so the meals
// list shows them, and leaves the other audit events alone.
func TestMigrationCardTaps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)
	tap := storetest.CardTap(t, "gw-a", 1, eldergate.ReasonCardLost, "****1234", at)
	meal := storetest.Meal(t, "gw-a", 2, "E1", at.Add(time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{tap, meal}, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want, _, err := s.MealPage(ctx, domain.MealFilter{Limit: 10})
	if err != nil || len(want) != 2 {
		t.Fatalf("before: %+v %v", want, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to the schema of 0022.
	db, err := sql.Open("sqlite3", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE card_taps`, `DROP INDEX meals_decision_at`, `DROP INDEX meals_reason_at`,
		`DELETE FROM schema_version WHERE version = 23`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _, err := s.MealPage(ctx, domain.MealFilter{Limit: 10})
	if err != nil || len(got) != 2 {
		t.Fatalf("after: %+v %v", got, err)
	}
	for i := range got {
		if got[i].EventID != want[i].EventID || got[i].Kind != want[i].Kind || got[i].Card != want[i].Card ||
			got[i].Reason != want[i].Reason || !got[i].At.Equal(want[i].At) || !got[i].ReceivedAt.Equal(want[i].ReceivedAt) {
			t.Errorf("row %d after the migration: %+v, before %+v", i, got[i], want[i])
		}
	}
	if got[1].Kind != domain.RowCard || got[1].Card != "****1234" || got[1].Reason != eldergate.ReasonCardLost {
		t.Errorf("card row: %+v", got[1])
	}
}
