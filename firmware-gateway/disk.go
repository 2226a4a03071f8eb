package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// ReasonDiskFull is shown when a meal is refused because the disk is full:
// meals stop, alarms and acks go on.
const ReasonDiskFull = "disk_full"

// reserveFile is pre-allocated in the data directory and deleted when
// the disk fills up, so that alarms, acks and the pruning of delivered
// data still find space.
const reserveFile = "reserve.space"

// diskGuard watches the free space of the data directory. The full state
// is sticky: entered when free space falls below min_free_bytes or a
// write fails with SQLITE_FULL/ENOSPC, it releases the reserve; it is left
// only when the free space is back above min_free_bytes plus the reserve,
// and the reserve is then allocated again.
type diskGuard struct {
	dir     string
	reserve int64 // bytes; <= 0: no reserve
	minFree int64
	free    func(dir string) (uint64, error)
	log     *slog.Logger

	mu       sync.Mutex
	full     bool
	why      string
	lastFree uint64
	changed  chan struct{} // signalled when entering the full state
}

func newDiskGuard(dir string, reserve, minFree int64, log *slog.Logger) *diskGuard {
	return &diskGuard{dir: dir, reserve: reserve, minFree: minFree, free: diskFree, log: log, changed: make(chan struct{}, 1)}
}

func (d *diskGuard) reservePath() string { return filepath.Join(d.dir, reserveFile) }

// ensureReserve allocates the reserve file if it is missing or short.
func (d *diskGuard) ensureReserve() error {
	if d.reserve <= 0 {
		return nil
	}
	p := d.reservePath()
	if fi, err := os.Stat(p); err == nil && fi.Size() >= d.reserve {
		return nil
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("gateway: reserve: %w", err)
	}
	// Real blocks (not a sparse file): the space must be taken now.
	var werr error
	if allocate(f, d.reserve) == nil {
		werr = f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, cerr); err != nil {
			os.Remove(p)
			return fmt.Errorf("gateway: reserve: %w", err)
		}
		return nil
	}
	buf := make([]byte, 64<<10)
	for off := int64(0); off < d.reserve && werr == nil; off += int64(len(buf)) {
		n := min(int64(len(buf)), d.reserve-off)
		_, werr = f.WriteAt(buf[:n], off)
	}
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(p)
		return fmt.Errorf("gateway: reserve: %w", err)
	}
	return nil
}

// releaseReserve deletes the reserve file; it reports whether one existed.
func (d *diskGuard) releaseReserve() bool {
	err := os.Remove(d.reservePath())
	return err == nil
}

func (d *diskGuard) isFull() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.full
}

// markFull enters the full state (once) and releases the reserve.
func (d *diskGuard) markFull(why string) {
	d.mu.Lock()
	already := d.full
	d.full, d.why = true, why
	d.mu.Unlock()
	if already {
		return
	}
	released := d.releaseReserve()
	d.log.Error("gateway: disk full: new meals are refused, alarms are still recorded", "why", why, "reserve_released", released)
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// check measures the free space and enters or leaves the full state.
func (d *diskGuard) check() {
	free, err := d.free(d.dir)
	if err != nil {
		d.log.Warn("gateway: free space unknown", "err", err)
		return
	}
	d.mu.Lock()
	d.lastFree = free
	full := d.full
	d.mu.Unlock()
	switch {
	case !full && int64(free) < d.minFree:
		d.markFull(fmt.Sprintf("%d bytes free, below min_free_bytes %d", free, d.minFree))
	case full && int64(free) >= d.minFree+max(d.reserve, 0):
		if err := d.ensureReserve(); err != nil {
			d.log.Warn("gateway: disk has space again but the reserve could not be allocated", "err", err)
			return
		}
		d.mu.Lock()
		d.full, d.why = false, ""
		d.mu.Unlock()
		d.log.Info("gateway: disk has space again, meals accepted", "free_bytes", free)
	}
}

func (d *diskGuard) freeBytes() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastFree
}

// guardedTap decides and records one tap: refused with disk_full while
// the disk is full, one decision at a time, timed and counted.
func (g *Gateway) guardedTap(ctx context.Context, rd card.Read, at time.Time) TapEvent {
	masked := eldergate.MaskID(rd.Credential)
	if g.ops.disk.isFull() {
		g.log.Warn("gateway: tap refused, disk full", "card", masked)
		g.ops.metrics.tap(eldergate.DecisionRefused, ReasonDiskFull)
		return TapEvent{Decision: eldergate.DecisionRefused, Reason: ReasonDiskFull, Card: masked, At: at}
	}
	g.ops.tapMu.Lock()
	start := time.Now()
	ev, err := g.tap(ctx, rd, at)
	elapsed := time.Since(start)
	g.ops.tapMu.Unlock()
	if err != nil {
		reason := ReasonSystemError
		if sqlite.IsDiskFull(err) {
			g.ops.disk.markFull("a meal could not be written")
			reason = ReasonDiskFull
		}
		g.log.Error("gateway: tap not recorded", "card", masked, "reason", reason, "err", err)
		ev = TapEvent{Decision: eldergate.DecisionRefused, Reason: reason, Card: masked, At: at}
	} else {
		g.ops.metrics.tapSeconds.observe(elapsed.Seconds())
	}
	g.ops.metrics.tap(ev.Decision, ev.Reason)
	return ev
}

// commitCritical commits an event that must be written even on a full
// disk (alarms, audits of staff actions): on SQLITE_FULL it releases the
// reserve, prunes delivered data and tries again.
func (g *Gateway) commitCritical(ctx context.Context, env eldergate.Envelope) (eldergate.Envelope, error) {
	e, err := g.store.Commit(ctx, env, nil)
	if err == nil || !sqlite.IsDiskFull(err) {
		return e, err
	}
	g.ops.disk.markFull("an event could not be written")
	g.prune(ctx, true)
	return g.store.Commit(ctx, env, nil)
}

// usageHorizon is the first local day whose meals the limits may still
// need: the first day of the previous month.
func (g *Gateway) usageHorizon(now time.Time) string {
	pol, _ := g.currentPolicy()
	loc, err := time.LoadLocation(pol.TimeZone)
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
	now, _ := g.stamp(time.Time{})
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
	g.ops.metrics.pruned.Add(uint64(res.Events + res.Meals))
	if res.Events+res.Meals > 0 {
		g.log.Info("gateway: delivered data pruned", "events", res.Events, "meals", res.Meals, "before", before, "keep_meals_from", keep, "urgent", urgent)
	}
}
