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

// TestMigrationSeqCountersBackfill: a database from before migration 0008
// (events, no sequence counters) gets its counters from the events.
func TestMigrationSeqCountersBackfill(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)
	var evs []eldergate.Envelope
	for _, seq := range []uint64{2, 3, 5, 9} {
		evs = append(evs, storetest.Meal(t, "gw-a", seq, "E1", at))
	}
	if _, err := s.IngestBatch(ctx, "gw-a", evs, at); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to the schema of 0007.
	db, err := sql.Open("sqlite3", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE gateways DROP COLUMN seq_min`, `ALTER TABLE gateways DROP COLUMN seq_max`,
		`ALTER TABLE gateways DROP COLUMN seq_count`, `CREATE INDEX events_gw_seq ON events (gw, seq)`,
		`DELETE FROM schema_version WHERE version = 8`,
	} {
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
	want := domain.SeqStats{Min: 2, Max: 9, Count: 4, Gaps: 4}
	if st, err := s.GatewaySeq(ctx, "gw-a"); err != nil || st != want {
		t.Fatalf("after the migration GatewaySeq = %+v, %v, want %+v", st, err, want)
	}
}
