package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/firmware-gateway/metrics"
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
	_, err := g.recordHeartbeat(ctx)
	return err
}

// recordHeartbeat records one heartbeat event, replacing an undelivered
// one, and returns its event id.
func (g *Gateway) recordHeartbeat(ctx context.Context) (string, error) {
	n, err := g.store.DropUndelivered(ctx, eldergate.KindHeartbeat)
	if err != nil {
		return "", fmt.Errorf("gateway: heartbeat: %w", err)
	}
	replaced := g.metrics.HeartbeatsReplaced(uint64(n))
	at, clockState := g.clock.Stamp(time.Time{})
	st, err := g.store.OutboxStats(ctx)
	if err != nil {
		return "", fmt.Errorf("gateway: heartbeat: %w", err)
	}
	data := HeartbeatData{
		Version: g.version, Boot: g.store.Boot(), UptimeS: int64(time.Since(g.startedAt).Seconds()),
		Clock: clockState, Devices: g.devices.Statuses(),
		OutboxDepth: st.Pending, OldestUndeliveredS: int64(metrics.OldestAge(at, st.OldestPending).Seconds()), DeadLetters: st.DeadLetters,
		DiskFreeBytes: g.disk.FreeNow(), DiskFull: g.disk.Full(), UplinkConnected: g.up.Connected(),
		HeartbeatsReplaced: replaced,
	}
	env, err := g.env.New(eldergate.KindHeartbeat, at, data)
	if err != nil {
		return "", err
	}
	if _, err := g.store.Commit(ctx, env, nil); err != nil {
		if sqlite.IsDiskFull(err) {
			g.disk.MarkFull("a heartbeat could not be written")
		}
		return "", fmt.Errorf("gateway: heartbeat: %w", err)
	}
	g.metrics.Heartbeat()
	g.up.Notify()
	return env.ID, nil
}

// Heartbeat records a heartbeat now (tests, diagnostics).
func (g *Gateway) Heartbeat(ctx context.Context) error {
	if g.store == nil {
		return fmt.Errorf("gateway: not started")
	}
	return g.heartbeat(ctx)
}

// runHeartbeat records a heartbeat every `heartbeat` and saves the clock
// floor, until ctx is done.
func (g *Gateway) runHeartbeat(ctx context.Context) error {
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
		if err := g.store.SaveClockFloor(ctx, g.clock.Floor()); err != nil && ctx.Err() == nil {
			g.log.Warn("gateway: clock floor not saved", "err", err)
		}
	}
}
