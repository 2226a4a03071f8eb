package uplink_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/outbox"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// countingOutbox counts the uplink's reads of the outbox.
type countingOutbox struct {
	*sqlite.Store
	reads atomic.Int64
}

func (c *countingOutbox) Pending(ctx context.Context, now time.Time, minPriority, limit int) ([]outbox.Row, error) {
	c.reads.Add(1)
	return c.Store.Pending(ctx, now, minPriority, limit)
}

// TestNoSpinWhileRowsHeldBack: rows already due but held back on purpose
// (a partial batch waiting for batch_wait, every in-flight slot taken)
// do not make the loop read the outbox again and again. Before the fix
// NextDue in the past made the wait 0: thousands of reads per second.
func TestNoSpinWhileRowsHeldBack(t *testing.T) {
	for _, c := range []struct {
		name  string
		meals int
		cfg   uplink.Config
	}{
		{"partial batch waiting", 1, uplink.Config{BatchSize: 100, BatchWait: time.Second, AckTimeout: time.Minute, MaxInFlight: 4}},
		{"in-flight slots taken", 300, uplink.Config{BatchSize: 100, BatchWait: 10 * time.Millisecond, AckTimeout: time.Minute, MaxInFlight: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := startBroker(t)
			newCloud(t, url) // never acks
			s := openStore(t)
			for i := range c.meals {
				commit(t, s, eldergate.KindMeal, i)
			}
			ob := &countingOutbox{Store: s}
			cfg := c.cfg
			cfg.URL, cfg.GW, cfg.Boot, cfg.Version = url, gw, s.Boot(), "test"
			u, err := uplink.New(cfg, ob, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- u.Run(ctx) }()
			defer func() { cancel(); <-done }()
			eventually(t, 5*time.Second, "connected", u.Connected)
			time.Sleep(100 * time.Millisecond)
			before := ob.reads.Load()
			time.Sleep(500 * time.Millisecond)
			if n := ob.reads.Load() - before; n > 10 {
				t.Fatalf("%d outbox reads in 500 ms while every due row is held back: the loop spins", n)
			}
		})
	}
}
