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

// TestMigrationAlertLifecycle: a database from before migration 0009 (no
// outcome, note, acked_via, pressed_again_at) keeps its alerts; an elder's
// cancel becomes the outcome false_alarm, the rest have none yet.
func TestMigrationAlertLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)
	raise := storetest.Alert(t, "gw-a", 1, "al-1", eldergate.AlertRaised, "btn-1", at)
	cancel := storetest.Alert(t, "gw-a", 2, "al-1", eldergate.AlertCancelled, "btn-1", at.Add(time.Second))
	acked := storetest.Alert(t, "gw-a", 3, "al-2", eldergate.AlertRaised, "btn-2", at)
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{raise, cancel, acked}, at); err != nil {
		t.Fatal(err)
	}
	if err := s.AckAlert(ctx, acked.ID, "staff-1", domain.ViaConsole, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to the schema of 0008.
	db, err := sql.Open("sqlite3", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE alerts DROP COLUMN acked_via`, `ALTER TABLE alerts DROP COLUMN pressed_again_at`,
		`ALTER TABLE alerts DROP COLUMN outcome`, `ALTER TABLE alerts DROP COLUMN note`,
		`DELETE FROM schema_version WHERE version = 9`,
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
	as, err := s.ListAlerts(ctx, "")
	if err != nil || len(as) != 2 {
		t.Fatalf("alerts after the migration: %+v, %v", as, err)
	}
	for _, a := range as {
		switch a.ID {
		case raise.ID:
			if a.State != domain.AlertFalseAlarm || a.Outcome != domain.OutcomeFalseAlarm || a.ClosedBy != domain.ClosedByGateway {
				t.Errorf("cancelled alert = %+v", a)
			}
		case acked.ID:
			if a.State != domain.AlertAcknowledged || a.Outcome != "" || a.AckedVia != "" || a.AckedBy != "staff-1" || a.PressedAgainAt != nil {
				t.Errorf("acknowledged alert = %+v", a)
			}
		}
	}
}
