package ingest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// seqStore counts GatewaySeq calls; nothing else of the store is used.
type seqStore struct {
	domain.Store
	calls int
	gaps  int64
}

func (s *seqStore) GatewaySeq(context.Context, string) (domain.SeqStats, error) {
	s.calls++
	return domain.NewSeqStats(1, 10, 10-s.gaps), nil
}

// TestTrackSeqRateLimited: one ingester reads a gateway's sequence
// counters at most once every SeqCheckEvery per gateway.
func TestTrackSeqRateLimited(t *testing.T) {
	now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	st := &seqStore{}
	in := &Ingester{
		cfg: Config{Store: st}, log: slog.New(slog.DiscardHandler), now: func() time.Time { return now },
		ctx: context.Background(), gaps: map[string]int64{}, gapsAt: map[string]time.Time{},
	}
	for i := 0; i < 50; i++ {
		in.trackSeq(context.Background(), "gw-a")
		now = now.Add(100 * time.Millisecond) // 50 batches in 5 s
	}
	if st.calls != 1 {
		t.Fatalf("GatewaySeq called %d times for 50 batches in 5 s, want 1", st.calls)
	}
	in.trackSeq(context.Background(), "gw-b")
	if st.calls != 2 {
		t.Fatalf("another gateway was not checked: %d calls", st.calls)
	}
	st.gaps = 2
	now = now.Add(SeqCheckEvery)
	in.trackSeq(context.Background(), "gw-a")
	if st.calls != 3 || in.gaps["gw-a"] != 2 {
		t.Fatalf("after %v: calls %d, gaps %d; want a new count showing 2 gaps", SeqCheckEvery, st.calls, in.gaps["gw-a"])
	}
}
