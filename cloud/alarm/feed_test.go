package alarm

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// gapStore is a timeline whose entries become visible out of seq order,
// as PostgreSQL transactions may commit.
type gapStore struct {
	mu      sync.Mutex
	entries []domain.AlertLogEntry
}

func (g *gapStore) add(seq int64, alert string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.entries = append(g.entries, domain.AlertLogEntry{Seq: seq, AlertID: alert, Kind: domain.AlertLogOpened})
}

func (g *gapStore) AlertLogHead(context.Context) (int64, error) { return 0, nil }

func (g *gapStore) AlertLogSince(_ context.Context, seq int64, limit int) ([]domain.AlertLogEntry, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []domain.AlertLogEntry
	for s := seq + 1; s < seq+1000 && len(out) < limit; s++ {
		for _, e := range g.entries {
			if e.Seq == s {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

func (g *gapStore) AlertsByID(_ context.Context, ids []string) ([]domain.Alert, error) {
	out := make([]domain.Alert, len(ids))
	for i, id := range ids {
		out[i] = domain.Alert{ID: id}
	}
	return out, nil
}

// TestFeedSeesLateCommits: seq 2 commits after seq 3 was read; the board
// still gets it (once), and nothing twice.
func TestFeedSeesLateCommits(t *testing.T) {
	st := &gapStore{}
	f := NewFeed(st, time.Hour, nil)
	if err := f.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ch, stop := f.Subscribe()
	defer stop()
	got := func() []string {
		t.Helper()
		f.Wake()
		select {
		case cs := <-ch:
			var ids []string
			for _, c := range cs {
				ids = append(ids, c.Alert.ID)
			}
			return ids
		case <-time.After(2 * time.Second):
			t.Fatal("no change within 2 s")
			return nil
		}
	}
	st.add(1, "a1")
	st.add(3, "a3") // seq 2 is still in an open transaction
	if ids := got(); len(ids) != 2 || ids[0] != "a1" || ids[1] != "a3" {
		t.Fatalf("first read %v", ids)
	}
	st.add(2, "a2")
	st.add(4, "a4")
	if ids := got(); len(ids) != 2 || ids[0] != "a2" || ids[1] != "a4" {
		t.Fatalf("after the late commit %v, want a2 and a4 once each", ids)
	}
	st.add(5, "a5")
	if ids := got(); len(ids) != 1 || ids[0] != "a5" {
		t.Fatalf("then %v", ids)
	}
}
