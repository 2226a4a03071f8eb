package sqlite_test

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

func env(kind eldergate.Kind) eldergate.Envelope {
	return eldergate.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Kind: kind, GW: "gw1", Site: "s", Boot: 1,
		At: time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC), Clock: eldergate.ClockSynced, Data: json.RawMessage(`{}`),
	}
}

func TestBootCounterAndMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gw.db")
	for want := uint64(1); want <= 3; want++ {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if s.Boot() != want {
			t.Fatalf("boot = %d, want %d", s.Boot(), want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var versions int
	var mode string
	db.QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&versions)
	db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	files, _ := filepath.Glob("migrations/*.sql")
	if versions != len(files) || len(files) == 0 || mode != "wal" {
		t.Fatalf("schema_version rows = %d, journal_mode = %s", versions, mode)
	}
}

func TestCommitIsOneTransaction(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.UpsertElders(ctx, []eldergate.Elder{{ID: "E1", Name: "张三", Card: "C1", Active: true}}); err != nil {
		t.Fatal(err)
	}
	meal := sqlite.Meal{ElderID: "E1", Day: "2025-03-03", Window: "lunch", Decision: eldergate.DecisionApproved, Reason: "ok", PriceFen: 1500, SubsidyFen: 1000, PayFen: 500, At: time.Now()}
	e1, err := s.Commit(ctx, env(eldergate.KindMeal), &meal)
	if err != nil {
		t.Fatal(err)
	}
	if e1.Seq != 1 {
		t.Fatalf("seq = %d", e1.Seq)
	}
	if n, _ := s.MealsInWindow(ctx, "E1", "2025-03-03", "lunch"); n != 1 {
		t.Fatalf("meals in window = %d", n)
	}
	// A meal for an elder not on the roster violates a foreign key: the
	// outbox row of the same transaction must not survive, nor the seq.
	bad := meal
	bad.ElderID = "nobody"
	if _, err := s.Commit(ctx, env(eldergate.KindMeal), &bad); err == nil {
		t.Fatal("meal of an unknown elder committed")
	}
	rows, err := s.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ID != e1.ID {
		t.Fatalf("outbox after failed commit = %+v", rows)
	}
	var stored eldergate.Envelope
	if err := json.Unmarshal(rows[0].Payload, &stored); err != nil || stored.Seq != 1 || stored.ID != e1.ID {
		t.Fatalf("stored payload = %+v, %v", stored, err)
	}
	e2, err := s.Commit(ctx, env(eldergate.KindAudit), nil)
	if err != nil {
		t.Fatal(err)
	}
	if e2.Seq != 2 {
		t.Fatalf("seq after a rolled back commit = %d, want 2", e2.Seq)
	}
	// Refused meals do not count as served.
	ref := meal
	ref.Decision = eldergate.DecisionRefused
	if _, err := s.Commit(ctx, env(eldergate.KindMeal), &ref); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.MealsInWindow(ctx, "E1", "2025-03-03", "lunch"); n != 1 {
		t.Fatalf("meals in window after a refusal = %d", n)
	}
}

func TestPendingOrderAndAcks(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m1, _ := s.Commit(ctx, env(eldergate.KindAudit), nil)
	m2, _ := s.Commit(ctx, env(eldergate.KindAudit), nil)
	a, _ := s.Commit(ctx, env(eldergate.KindAlert), nil)
	now := time.Now()
	rows, err := s.Pending(ctx, now, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].ID != a.ID || rows[1].ID != m1.ID || rows[2].ID != m2.ID {
		t.Fatalf("pending order wrong: %v", rows)
	}
	if rows, _ := s.Pending(ctx, now, eldergate.KindAlert.Priority(), 10); len(rows) != 1 || rows[0].ID != a.ID {
		t.Fatalf("alert-only pending = %v", rows)
	}
	// Sent rows are not due until their retry time.
	if err := s.MarkSent(ctx, []string{a.ID, m1.ID}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.Pending(ctx, now, 0, 10); len(rows) != 1 || rows[0].ID != m2.ID {
		t.Fatalf("pending after send = %v", rows)
	}
	if rows, _ := s.Pending(ctx, now.Add(2*time.Minute), 0, 10); len(rows) != 3 || rows[0].Attempts != 1 {
		t.Fatalf("pending after retry time = %v", rows)
	}
	if n, err := s.MarkDelivered(ctx, []string{a.ID, "unknown"}, now); err != nil || n != 1 {
		t.Fatalf("delivered = %d, %v", n, err)
	}
	if n, err := s.MarkRejected(ctx, []eldergate.Rejection{{ID: m1.ID, Reason: "bad"}}, now); err != nil || n != 1 {
		t.Fatalf("rejected = %d, %v", n, err)
	}
	if n, _ := s.PendingCount(ctx); n != 1 {
		t.Fatalf("pending count = %d", n)
	}
	all, _ := s.Outbox(ctx)
	if len(all) != 3 || !all[2].Delivered || !all[0].Rejected || all[0].RejectReason != "bad" {
		t.Fatalf("outbox = %+v", all)
	}
}
