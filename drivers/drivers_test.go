package drivers_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
)

func TestCountersConcurrent(t *testing.T) {
	type stats struct{ A, B int }
	var c drivers.Counters[stats]
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				c.Add(func(s *stats) { s.A++; s.B += 2 })
			}
		}()
	}
	wg.Wait()
	if got := c.Get(); got != (stats{8000, 16000}) {
		t.Fatalf("counters = %+v, want {8000 16000}", got)
	}
}

// SetLast records the last delivery and its time, keeps it across a
// rejection (whose reason is the error until the next good delivery), and
// reports every call.
func TestTrackerSetLast(t *testing.T) {
	at := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
	var seen []drivers.Status
	tr := drivers.NewTracker("till-2", "serialtill", func() time.Time { return at }, func(s drivers.Status) { seen = append(seen, s) })
	tr.Set(true, nil)
	tr.SetLast("12.50 ref S-1", nil)
	tr.SetLast("", errors.New("not money"))
	st := tr.Status()
	if !st.Connected || st.Last != "12.50 ref S-1" || st.LastAt == nil || !st.LastAt.Equal(at) || st.Err != "not money" || len(seen) != 3 {
		t.Fatalf("status %+v after %d reports", st, len(seen))
	}
	tr.SetLast("8.00", nil)
	if st := tr.Status(); st.Last != "8.00" || st.Err != "" {
		t.Fatalf("status after a good delivery %+v", st)
	}
}
