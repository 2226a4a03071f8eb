// Package clockguard stamps the events of a gateway without a real-time
// clock: the clock state (synced or unsynced) and a monotonic floor that
// a backward jump cannot go below.
package clockguard

import (
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/eldergate/eldergate"
)

// The clock of a gateway without a real-time clock.
//
// A Raspberry Pi boots with the time it saved at shutdown (fake-hwclock)
// or 1970, and only NTP makes it right. Events are stamped and decided
// with these rules (docs/adr/0003-gateway-clock-without-rtc.md):
//
//   - The clock is "unsynced" when the sync source says so (on Linux the
//     kernel's view, as `timedatectl` shows it), when the time is before
//     the build time of the binary, or when it is behind the highest time
//     already seen (a backward jump). Events stamped then carry
//     `"clock": "unsynced"`.
//   - The highest time seen is a monotonic floor, persisted in the store
//     (meta clock_floor_ms, and the `at` of the last committed event).
//     Every event and every decision uses max(wall clock, floor), the
//     floor advancing with the monotonic clock while the wall clock is
//     behind it: after a backward jump the day, window and limits are
//     those of the floor, so a day's limit never reopens; seq keeps
//     increasing as always. Tap dedupe uses the raw wall clock.
//   - A forward jump is accepted (NTP correcting a stale boot time is the
//     usual case) and logged. A wrong forward jump therefore holds the
//     floor in the future until real time catches up; the events of that
//     period are marked unsynced only if the source says so.

// defaultMinValidTime is the earliest believable time when the binary
// carries no VCS build time.
var defaultMinValidTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// backwardTolerance absorbs the jitter between timestamps taken in
// different goroutines (a driver's read time and the decision).
const backwardTolerance = 2 * time.Second

// jumpThreshold is the difference between wall-clock and monotonic
// elapsed time above which a jump is logged.
const jumpThreshold = 5 * time.Second

// BuildTime is the VCS commit time recorded in the binary, if any.
func BuildTime() time.Time {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t
				}
			}
		}
	}
	return defaultMinValidTime
}

// Guard applies the rules above. It is safe for concurrent use.
type Guard struct {
	wall     func() time.Time
	synced   func() bool
	minValid time.Time
	log      *slog.Logger

	mu        sync.Mutex
	floor     time.Time // highest time used for an event or decision
	floorMono time.Time // time.Now (monotonic) when floor was set
	lastWall  time.Time // last wall reading, to detect jumps
	lastMono  time.Time // time.Now (monotonic) at lastWall
	state     string
	reason    string // why state is unsynced (Reason*), "" when synced
	backJumps int
	fwdJumps  int
}

// New returns a guard reading the wall clock wall and the sync source
// synced (nil: KernelSynced); times before minValid are unsynced; floor
// is the highest time seen before (persisted by the owner).
func New(wall func() time.Time, synced func() bool, minValid time.Time, floor time.Time, log *slog.Logger) *Guard {
	if synced == nil {
		synced = KernelSynced
	}
	return &Guard{wall: wall, synced: synced, minValid: minValid, floor: floor.UTC(), log: log, state: eldergate.ClockSynced}
}

// Stamp returns the time to use for something observed at wall time t
// (zero: now) and the clock state to record with it.
func (c *Guard) Stamp(t time.Time) (time.Time, string) {
	if t.IsZero() {
		t = c.wall()
	}
	t = t.UTC()
	synced := c.synced()
	c.mu.Lock()
	defer c.mu.Unlock()
	mono := time.Now()
	if !c.lastWall.IsZero() {
		drift := t.Sub(c.lastWall) - mono.Sub(c.lastMono)
		switch {
		case drift > jumpThreshold:
			c.fwdJumps++
			c.log.Warn("gateway: clock jumped forward, accepted", "by", drift.Round(time.Millisecond).String(), "from", c.lastWall, "to", t)
		case drift < -jumpThreshold:
			c.backJumps++
			c.log.Warn("gateway: clock jumped backward, events keep the highest time seen", "by", (-drift).Round(time.Millisecond).String(), "from", c.lastWall, "to", t, "floor", c.floor)
		}
	}
	c.lastWall, c.lastMono = t, mono
	state := eldergate.ClockSynced
	reason := c.unsyncedReason(t, synced)
	if reason != "" {
		state = eldergate.ClockUnsynced
	}
	if state != c.state || reason != c.reason {
		c.log.Warn("gateway: clock state changed", "state", state, "reason", reason, "kernel_synced", synced, "time", t, "floor", c.floor)
		c.state, c.reason = state, reason
	}
	if t.Before(c.floor) {
		// Behind the floor: carry on from it at the pace of the monotonic
		// clock, so that events keep distinct, increasing times.
		t = c.floor
		if !c.floorMono.IsZero() {
			t = t.Add(max(mono.Sub(c.floorMono), 0))
		}
	}
	c.floor, c.floorMono = t, mono
	return t, state
}

// Why a clock is unsynced (Guard.Reason).
const (
	ReasonKernelUnsynced = "kernel_unsynced"   // the kernel says the clock is not synchronised (NTP)
	ReasonBeforeBuild    = "before_build_time" // the time is before the binary was built
	ReasonBehindFloor    = "behind_floor"      // the time is behind one already used, beyond the tolerance
)

// unsyncedReason says why wall time t is unsynced, "" when it is synced.
// The caller holds c.mu.
func (c *Guard) unsyncedReason(t time.Time, synced bool) string {
	switch {
	case !synced:
		return ReasonKernelUnsynced
	case t.Before(c.minValid):
		return ReasonBeforeBuild
	case t.Before(c.floor.Add(-backwardTolerance)):
		return ReasonBehindFloor
	}
	return ""
}

// Reason is why the clock was unsynced at the last stamp (one of the
// Reason* constants), "" when it was synced.
func (c *Guard) Reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// State is the clock state of the last stamp, refreshed from the source.
func (c *Guard) State() string {
	_, s := c.Stamp(time.Time{})
	return s
}

// Last is the clock state of the last stamp, without a new stamp.
func (c *Guard) Last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Floor is the highest time seen.
func (c *Guard) Floor() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.floor
}

// Jumps counts the forward and backward jumps seen since start.
func (c *Guard) Jumps() (forward, backward int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fwdJumps, c.backJumps
}
