package sqlite_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// The integrity check passes on a healthy store and refuses a corrupted
// copy of it, leaving the file untouched.
func TestCheckIntegrity(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.db")
	if err := sqlite.CheckIntegrity(ctx, path); err != nil {
		t.Fatalf("missing file (first start): %v", err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertElders(ctx, []eldergate.Elder{{ID: "E1", Name: "张三", Card: "C1", Active: true}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ { // a few pages of outbox
		if _, err := s.Commit(ctx, env(eldergate.KindAudit), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.CheckIntegrity(ctx, path); err != nil {
		t.Fatalf("healthy store: %v", err)
	}

	bad := filepath.Join(dir, "copy.db")
	copyFile(t, path, bad)
	f, err := os.OpenFile(bad, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if fi.Size() < 4*4096 {
		t.Fatalf("database of %d bytes is too small to corrupt a page in the middle", fi.Size())
	}
	// Scribble over the b-tree page headers of every page but the first.
	junk := bytes.Repeat([]byte{0xA5}, 12)
	for off := int64(4096); off < fi.Size(); off += 4096 {
		if _, err := f.WriteAt(junk, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	before, _ := os.ReadFile(bad)
	err = sqlite.CheckIntegrity(ctx, bad)
	if !errors.Is(err, sqlite.ErrCorrupt) || !strings.Contains(err.Error(), "kept for diagnosis") {
		t.Fatalf("corrupted copy: %v, want ErrCorrupt", err)
	}
	after, _ := os.ReadFile(bad)
	if !bytes.Equal(before, after) {
		t.Fatal("the check changed the corrupted file")
	}
	if err := sqlite.CheckIntegrity(ctx, path); err != nil {
		t.Fatalf("original after checking the copy: %v", err)
	}
}

// Prune deletes delivered data past the retention, keeps meals of the
// usage horizon with their events, and never touches undelivered or
// dead-lettered rows.
func TestPrune(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.UpsertElders(ctx, []eldergate.Elder{{ID: "E1", Name: "张三", Card: "C1", Active: true}}); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2025, 1, 10, 4, 0, 0, 0, time.UTC)
	recent := time.Date(2025, 3, 2, 4, 0, 0, 0, time.UTC)
	commit := func(kind eldergate.Kind, at time.Time, day string) string {
		t.Helper()
		e := env(kind)
		e.At = at
		var m *sqlite.Meal
		if day != "" {
			m = &sqlite.Meal{ElderID: "E1", Day: day, Window: "lunch", Decision: eldergate.DecisionApproved, PriceFen: 1500, SubsidyFen: 1000, PayFen: 500, At: at}
		}
		if _, err := s.Commit(ctx, e, m); err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	oldAudit := commit(eldergate.KindAudit, old, "")             // delivered, old: pruned
	oldMeal := commit(eldergate.KindMeal, old, "2025-01-10")     // delivered, before the horizon: pruned
	horizonMeal := commit(eldergate.KindMeal, old, "2025-02-01") // delivered, old, but in the horizon: kept
	undelivered := commit(eldergate.KindMeal, old, "2025-01-09") // never delivered: kept
	deadLetter := commit(eldergate.KindAudit, old, "")           // rejected: kept
	recentAudit := commit(eldergate.KindAudit, recent, "")       // delivered but recent: kept
	if _, err := s.MarkDelivered(ctx, []string{oldAudit, oldMeal, horizonMeal, recentAudit}, recent); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkRejected(ctx, []eldergate.Rejection{{ID: deadLetter, Reason: "bad"}}, recent); err != nil {
		t.Fatal(err)
	}
	res, err := s.Prune(ctx, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), "2025-02-01")
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 2 || res.Meals != 1 {
		t.Fatalf("pruned %+v, want 2 events (old audit, old meal) and 1 meal", res)
	}
	rows, err := s.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, r := range rows {
		left[r.ID] = true
	}
	for id, want := range map[string]bool{oldAudit: false, oldMeal: false, horizonMeal: true, undelivered: true, deadLetter: true, recentAudit: true} {
		if left[id] != want {
			t.Errorf("event %s kept = %v, want %v", id, left[id], want)
		}
	}
	st, err := s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 1 || st.DeadLetters != 1 || st.Delivered != 2 || !st.OldestPending.Equal(old) {
		t.Fatalf("stats = %+v", st)
	}
	// Pruning again deletes nothing more.
	if res, err := s.Prune(ctx, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), "2025-02-01"); err != nil || res.Events+res.Meals != 0 {
		t.Fatalf("second prune: %+v %v", res, err)
	}
}

func TestHeartbeatDropAndClockFloor(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gw.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	hb := env(eldergate.KindHeartbeat)
	if _, err := s.Commit(ctx, hb, nil); err != nil {
		t.Fatal(err)
	}
	alert := env(eldergate.KindAlert)
	alert.At = alert.At.Add(time.Hour)
	if _, err := s.Commit(ctx, alert, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DropUndelivered(ctx, eldergate.KindAlert); err == nil {
		t.Fatal("alerts must never be dropped")
	}
	if n, err := s.DropUndelivered(ctx, eldergate.KindHeartbeat); err != nil || n != 1 {
		t.Fatalf("dropped %d heartbeats, %v", n, err)
	}
	floor, err := s.ClockFloor(ctx)
	if err != nil || !floor.Equal(alert.At) {
		t.Fatalf("floor = %v, %v; want the last event's time %v", floor, err, alert.At)
	}
	later := alert.At.Add(3 * time.Hour)
	if err := s.SaveClockFloor(ctx, later); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveClockFloor(ctx, alert.At); err != nil { // never lowered
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if floor, err := s.ClockFloor(ctx); err != nil || !floor.Equal(later.Truncate(time.Millisecond)) {
		t.Fatalf("floor after reopen = %v, %v; want %v", floor, err, later)
	}
}
