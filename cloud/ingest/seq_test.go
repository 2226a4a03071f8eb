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

// TestTrackSeqRateLimited: the gap count reads a gateway's whole history,
// so one ingester does it at most once every SeqCheckEvery per gateway.
func TestTrackSeqRateLimited(t *testing.T) {
	now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	st := &seqStore{}
	in := &Ingester{
		cfg: Config{Store: st}, log: slog.New(slog.DiscardHandler), now: func() time.Time { return now },
		ctx: context.Background(), gaps: map[string]int64{}, gapsAt: map[string]time.Time{},
	}
	for i := 0; i < 50; i++ {
		in.trackSeq("gw-a")
		now = now.Add(100 * time.Millisecond) // 50 batches in 5 s
	}
	if st.calls != 1 {
		t.Fatalf("GatewaySeq called %d times for 50 batches in 5 s, want 1", st.calls)
	}
	in.trackSeq("gw-b")
	if st.calls != 2 {
		t.Fatalf("another gateway was not checked: %d calls", st.calls)
	}
	st.gaps = 2
	now = now.Add(SeqCheckEvery)
	in.trackSeq("gw-a")
	if st.calls != 3 || in.gaps["gw-a"] != 2 {
		t.Fatalf("after %v: calls %d, gaps %d; want a new count showing 2 gaps", SeqCheckEvery, st.calls, in.gaps["gw-a"])
	}
}

func TestNewSeqStats(t *testing.T) {
	for _, c := range []struct{ lo, hi, n, gaps int64 }{{0, 0, 0, 0}, {1, 10, 10, 0}, {1, 10, 8, 2}, {5, 5, 1, 0}} {
		if g := domain.NewSeqStats(c.lo, c.hi, c.n).Gaps; g != c.gaps {
			t.Errorf("NewSeqStats(%d, %d, %d).Gaps = %d, want %d", c.lo, c.hi, c.n, g, c.gaps)
		}
	}
}

func TestSeqTally(t *testing.T) {
	var tl domain.SeqTally
	for _, s := range []uint64{7, 3, 9, 4} {
		tl.Add(s)
	}
	if tl != (domain.SeqTally{Lo: 3, Hi: 9, N: 4}) {
		t.Fatalf("tally = %+v, want lo 3 hi 9 n 4", tl)
	}
}

func TestLater(t *testing.T) {
	a, b := time.Unix(10, 0), time.Unix(20, 0)
	for _, c := range []struct{ x, y, want *time.Time }{{nil, nil, nil}, {&a, nil, &a}, {nil, &b, &b}, {&a, &b, &b}, {&b, &a, &b}} {
		if got := domain.Later(c.x, c.y); got != c.want {
			t.Errorf("Later(%v, %v) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}
