package clockguard_test

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/clockguard"
)

type wall struct {
	mu sync.Mutex
	t  time.Time
}

func (w *wall) now() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.t }
func (w *wall) set(t time.Time) {
	w.mu.Lock()
	w.t = t
	w.mu.Unlock()
}

var t0 = time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)

func guard(w *wall, synced bool, floor time.Time) *clockguard.Guard {
	return clockguard.New(w.now, func() bool { return synced }, t0.AddDate(0, -1, 0), floor, slog.New(slog.DiscardHandler))
}

func TestBackwardJumpKeepsTheFloor(t *testing.T) {
	w := &wall{t: t0}
	g := guard(w, true, time.Time{})
	if at, st := g.Stamp(time.Time{}); !at.Equal(t0) || st != eldergate.ClockSynced {
		t.Fatalf("stamp = %v %s", at, st)
	}
	w.set(t0.Add(-time.Hour)) // the clock jumps back an hour
	at, st := g.Stamp(time.Time{})
	if at.Before(t0) || st != eldergate.ClockUnsynced || g.Last() != eldergate.ClockUnsynced {
		t.Fatalf("after a backward jump: %v %s, want >= %v unsynced", at, st, t0)
	}
	if !g.Floor().Equal(at) {
		t.Fatalf("floor %v, want %v", g.Floor(), at)
	}
	if g.Reason() != clockguard.ReasonBehindFloor {
		t.Fatalf("reason %q after a backward jump", g.Reason())
	}
	if _, back := g.Jumps(); back != 1 {
		t.Fatalf("backward jumps = %d", back)
	}
	// Back on time: synced again.
	w.set(t0.Add(time.Minute))
	if at, st := g.Stamp(time.Time{}); !at.Equal(t0.Add(time.Minute)) || st != eldergate.ClockSynced {
		t.Fatalf("back on time: %v %s", at, st)
	}
	if g.Reason() != "" {
		t.Fatalf("reason %q when synced", g.Reason())
	}
}

func TestUnsyncedBeforeMinValidOrWhenTheSourceSaysSo(t *testing.T) {
	w := &wall{t: time.Date(1970, 1, 1, 0, 0, 10, 0, time.UTC)}
	g := guard(w, true, time.Time{})
	if _, st := g.Stamp(time.Time{}); st != eldergate.ClockUnsynced || g.Reason() != clockguard.ReasonBeforeBuild {
		t.Fatalf("1970 stamped %s (%s)", st, g.Reason())
	}
	w.set(t0)
	g = guard(w, false, time.Time{})
	if st := g.State(); st != eldergate.ClockUnsynced || g.Reason() != clockguard.ReasonKernelUnsynced {
		t.Fatalf("kernel unsynced stamped %s (%s)", st, g.Reason())
	}
	// A persisted floor ahead of the wall clock holds.
	if at, _ := guard(w, true, t0.Add(time.Hour)).Stamp(time.Time{}); at.Before(t0.Add(time.Hour)) {
		t.Fatalf("stamp %v below the persisted floor", at)
	}
}
