package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// HeartbeatData is the data of a heartbeat event, recorded every
// `heartbeat` (default 60 s) with the lowest priority. An undelivered
// heartbeat is replaced by the next one, so that heartbeats never grow
// the outbox while offline.
type HeartbeatData struct {
	Version            string           `json:"version"`
	Boot               uint64           `json:"boot"`
	UptimeS            int64            `json:"uptime_s"`
	Clock              string           `json:"clock"` // synced | unsynced
	Devices            []drivers.Status `json:"devices"`
	OutboxDepth        int              `json:"outbox_depth"`         // undelivered, not rejected (this heartbeat excluded)
	OldestUndeliveredS int64            `json:"oldest_undelivered_s"` // 0 when none
	DeadLetters        int              `json:"dead_letters"`         // rejected by the cloud, kept locally
	DiskFreeBytes      uint64           `json:"disk_free_bytes"`      // data directory
	DiskFull           bool             `json:"disk_full"`            // meals refused, alarms recorded
	UplinkConnected    bool             `json:"uplink_connected"`     // when the heartbeat was recorded
	HeartbeatsReplaced uint64           `json:"heartbeats_replaced"`  // undelivered heartbeats replaced since start
}

// heartbeat records one heartbeat event, replacing an undelivered one.
func (g *Gateway) heartbeat(ctx context.Context) error {
	n, err := g.store.DropUndelivered(ctx, eldergate.KindHeartbeat)
	if err != nil {
		return fmt.Errorf("gateway: heartbeat: %w", err)
	}
	g.ops.metrics.heartbeatsReplaced.Add(uint64(n))
	at, clockState := g.stamp(time.Time{})
	st, err := g.store.OutboxStats(ctx)
	if err != nil {
		return fmt.Errorf("gateway: heartbeat: %w", err)
	}
	free, ferr := diskFree(g.cfg.DataDir)
	if ferr != nil {
		free = g.ops.disk.freeBytes()
	}
	data := HeartbeatData{
		Version: g.version, Boot: g.store.Boot(), UptimeS: int64(time.Since(g.ops.startedAt).Seconds()),
		Clock: clockState, Devices: g.deviceStatuses(),
		OutboxDepth: st.Pending, OldestUndeliveredS: int64(oldestAge(at, st.OldestPending).Seconds()), DeadLetters: st.DeadLetters,
		DiskFreeBytes: free, DiskFull: g.ops.disk.isFull(), UplinkConnected: g.up.Connected(),
		HeartbeatsReplaced: g.ops.metrics.heartbeatsReplaced.Load(),
	}
	env, err := g.envelope(eldergate.KindHeartbeat, at, data)
	if err != nil {
		return err
	}
	if _, err := g.store.Commit(ctx, env, nil); err != nil {
		if sqlite.IsDiskFull(err) {
			g.ops.disk.markFull("a heartbeat could not be written")
		}
		return fmt.Errorf("gateway: heartbeat: %w", err)
	}
	g.ops.metrics.heartbeats.Add(1)
	g.up.Notify()
	return nil
}

// Heartbeat records a heartbeat now (tests, diagnostics).
func (g *Gateway) Heartbeat(ctx context.Context) error {
	if g.store == nil {
		return fmt.Errorf("gateway: not started")
	}
	return g.heartbeat(ctx)
}
