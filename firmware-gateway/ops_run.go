package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
)

// stamp applies the clock rules (clock.go) to a wall time (zero: now).
func (g *Gateway) stamp(t time.Time) (time.Time, string) {
	if g.ops.clock == nil {
		if t.IsZero() {
			t = g.now()
		}
		return t.UTC(), eldergate.ClockSynced
	}
	return g.ops.clock.stamp(t)
}

// clockState is the state of the last stamp, for the envelope.
func (g *Gateway) clockState() string {
	if g.ops.clock == nil {
		return eldergate.ClockSynced
	}
	g.ops.clock.mu.Lock()
	defer g.ops.clock.mu.Unlock()
	return g.ops.clock.state
}

// initOps prepares the operations part once the store is open.
func (g *Gateway) initOps(ctx context.Context) error {
	g.ops.startedAt = time.Now()
	if g.ops.clockSync == nil {
		g.ops.clockSync = kernelClockSynced
	}
	if g.ops.minValid.IsZero() {
		g.ops.minValid = buildTime()
	}
	floor, err := g.store.ClockFloor(ctx)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.ops.clock = newClockGuard(g.now, g.ops.clockSync, g.ops.minValid, floor, g.log)
	if now, state := g.ops.clock.stamp(time.Time{}); state != eldergate.ClockSynced {
		g.log.Warn("gateway: clock not synchronised at start: events are marked unsynced", "now", now, "floor", floor, "min_valid", g.ops.minValid)
	}
	g.ops.metrics = newMetrics()
	g.ops.staff = newStaffAuth(g.cfg.Staff, g.cfg.StaffSession, g.now)
	g.ops.disk = newDiskGuard(g.cfg.DataDir, g.cfg.Store.ReserveBytes, g.cfg.Store.MinFreeBytes, g.log)
	if err := g.ops.disk.ensureReserve(); err != nil {
		g.ops.disk.markFull(err.Error())
	}
	g.ops.disk.check()
	return nil
}

// startOpsLoops starts the heartbeat and the maintenance loops.
func (g *Gateway) startOpsLoops() {
	g.goRun("heartbeat", func(ctx context.Context) error {
		t := time.NewTicker(g.cfg.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if err := g.heartbeat(ctx); err != nil && ctx.Err() == nil {
				g.log.Error("gateway: heartbeat not recorded", "err", err)
			}
			if err := g.store.SaveClockFloor(ctx, g.ops.clock.Floor()); err != nil && ctx.Err() == nil {
				g.log.Warn("gateway: clock floor not saved", "err", err)
			}
		}
	})
	g.goRun("maintenance", func(ctx context.Context) error {
		disk := time.NewTicker(g.cfg.Store.DiskCheck)
		defer disk.Stop()
		prune := time.NewTicker(g.cfg.Store.PruneInterval)
		defer prune.Stop()
		g.prune(ctx, false)
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-disk.C:
				g.ops.disk.check()
			case <-g.ops.disk.changed: // entered the full state: acked data goes first
				g.prune(ctx, true)
			case <-prune.C:
				g.prune(ctx, false)
			}
		}
	})
}

// closeOps persists the clock floor before the store closes.
func (g *Gateway) closeOps() {
	if g.store == nil || g.ops.clock == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.store.SaveClockFloor(ctx, g.ops.clock.Floor()); err != nil {
		g.log.Warn("gateway: clock floor not saved", "err", err)
	}
}
