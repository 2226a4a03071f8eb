package tapdesk

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// ReserveFile is pre-allocated in the data directory and deleted when
// the disk fills up, so that alarms, acks and the pruning of delivered
// data still find space.
const ReserveFile = "reserve.space"

// DiskConfig configures a DiskGuard.
type DiskConfig struct {
	Dir     string // the data directory
	Reserve int64  // bytes of ReserveFile; <= 0: no reserve
	MinFree int64  // below this many free bytes the disk is full
	// Free measures the free bytes of dir (default: statfs on Linux).
	Free func(dir string) (uint64, error)
}

// DiskGuard watches the free space of the data directory. The full state
// is sticky: entered when free space falls below MinFree or a write fails
// with SQLITE_FULL/ENOSPC, it releases the reserve; it is left only when
// the free space is back above MinFree plus the reserve, and the reserve
// is then allocated again. It is safe for concurrent use.
type DiskGuard struct {
	dir     string
	reserve int64
	minFree int64
	free    func(dir string) (uint64, error)
	log     *slog.Logger

	mu       sync.Mutex
	full     bool
	why      string
	lastFree uint64
	changed  chan struct{} // signalled when entering the full state
}

// NewDiskGuard returns a guard of c.Dir; Start allocates the reserve.
// log may be nil (discard).
func NewDiskGuard(c DiskConfig, log *slog.Logger) *DiskGuard {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	free := c.Free
	if free == nil {
		free = diskFree
	}
	return &DiskGuard{dir: c.Dir, reserve: c.Reserve, minFree: c.MinFree, free: free, log: log, changed: make(chan struct{}, 1)}
}

// Start allocates the reserve (the disk counts as full when it cannot)
// and measures the free space once.
func (d *DiskGuard) Start() {
	if err := d.ensureReserve(); err != nil {
		d.MarkFull(err.Error())
	}
	d.Check()
}

func (d *DiskGuard) reservePath() string { return filepath.Join(d.dir, ReserveFile) }

// ensureReserve allocates the reserve file if it is missing or short.
func (d *DiskGuard) ensureReserve() error {
	if d.reserve <= 0 {
		return nil
	}
	p := d.reservePath()
	if fi, err := os.Stat(p); err == nil && fi.Size() >= d.reserve {
		return nil
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("tapdesk: reserve: %w", err)
	}
	// Real blocks (not a sparse file): the space must be taken now;
	// where the file system cannot allocate, zeros are written.
	var werr error
	if allocate(f, d.reserve) != nil {
		buf := make([]byte, 64<<10)
		for off := int64(0); off < d.reserve && werr == nil; off += int64(len(buf)) {
			n := min(int64(len(buf)), d.reserve-off)
			_, werr = f.WriteAt(buf[:n], off)
		}
	}
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(p)
		return fmt.Errorf("tapdesk: reserve: %w", err)
	}
	return nil
}

// releaseReserve deletes the reserve file; it reports whether one existed.
func (d *DiskGuard) releaseReserve() bool {
	err := os.Remove(d.reservePath())
	return err == nil
}

// Full reports whether the disk counts as full: new meals are refused.
func (d *DiskGuard) Full() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.full
}

// Changed is signalled when the disk enters the full state (the owner
// prunes delivered data then).
func (d *DiskGuard) Changed() <-chan struct{} { return d.changed }

// MarkFull enters the full state (once) and releases the reserve.
func (d *DiskGuard) MarkFull(why string) {
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

// Check measures the free space and enters or leaves the full state.
func (d *DiskGuard) Check() {
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
		d.MarkFull(fmt.Sprintf("%d bytes free, below min_free_bytes %d", free, d.minFree))
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

// FreeBytes is the free space measured by the last Check.
func (d *DiskGuard) FreeBytes() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastFree
}

// FreeNow measures the free space now, or returns the last measure when
// it cannot.
func (d *DiskGuard) FreeNow() uint64 {
	if free, err := d.free(d.dir); err == nil {
		return free
	}
	return d.FreeBytes()
}
