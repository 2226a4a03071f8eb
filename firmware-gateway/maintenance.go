package gateway

import (
	"context"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// The store's upkeep: the full-disk guard's checks, the retention of
// delivered data, the events that must be written even on a full disk,
// and the clock floor saved at the end.

// runMaintenance checks the free space and prunes delivered data until
// ctx is done.
func (g *Gateway) runMaintenance(ctx context.Context) error {
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
			g.disk.Check()
		case <-g.disk.Changed(): // entered the full state: acked data goes first
			g.prune(ctx, true)
		case <-prune.C:
			g.prune(ctx, false)
		}
	}
}

// critical commits the events that must be written even on a full disk
// (alarms, audits of staff actions): alarms.Recorder.
type critical struct{ g *Gateway }

// CommitCritical commits env; on SQLITE_FULL it releases the reserve,
// prunes delivered data and tries again.
func (c critical) CommitCritical(ctx context.Context, env eldergate.Envelope) (eldergate.Envelope, error) {
	g := c.g
	e, err := g.store.Commit(ctx, env, nil)
	if err == nil || !sqlite.IsDiskFull(err) {
		return e, err
	}
	g.disk.MarkFull("an event could not be written")
	g.prune(ctx, true)
	return g.store.Commit(ctx, env, nil)
}

// usageHorizon is the first local day whose meals the limits may still
// need: the first day of the previous month.
func (g *Gateway) usageHorizon(now time.Time) string {
	loc, err := time.LoadLocation(g.desk.Policy().TimeZone)
	if err != nil {
		loc = time.UTC
	}
	lt := now.In(loc)
	first := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0)
	return first.Format(time.DateOnly)
}

// prune deletes delivered data past the retention; urgent (disk full)
// deletes every delivered event not needed for the usage limits.
func (g *Gateway) prune(ctx context.Context, urgent bool) {
	now, _ := g.clock.Stamp(time.Time{})
	before := now.AddDate(0, 0, -g.cfg.Store.RetentionDays)
	if urgent {
		before = now.Add(time.Second)
	}
	keep := g.usageHorizon(now) // meals of this day on are kept whatever the retention
	res, err := g.store.Prune(ctx, before, keep)
	if err != nil {
		g.log.Error("gateway: prune delivered data", "err", err, "urgent", urgent)
		return
	}
	g.metrics.Pruned(uint64(res.Events + res.Meals))
	if res.Events+res.Meals > 0 {
		g.log.Info("gateway: delivered data pruned", "events", res.Events, "meals", res.Meals, "before", before, "keep_meals_from", keep, "urgent", urgent)
	}
}

// saveClockFloor persists the clock floor before the store closes.
func (g *Gateway) saveClockFloor() {
	if g.clock == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.store.SaveClockFloor(ctx, g.clock.Floor()); err != nil {
		g.log.Warn("gateway: clock floor not saved", "err", err)
	}
}
