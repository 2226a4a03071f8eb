package cloud

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// Defaults of the silence monitor. A gateway sends a heartbeat event every
// 60 s by default, so 150 s (2.5 heartbeats) of silence means it is gone
// even when no will reached the broker (e.g. an external broker that lost
// the session, or a gateway stuck but still answering PINGREQ).
const (
	DefaultOfflineAfter    = 150 * time.Second
	DefaultFleetCheckEvery = 5 * time.Second
)

// fleetMonitor marks gateways offline when they have been silent longer
// than offlineAfter. It is owned by the Cloud: started in Start, stopped
// and waited for in Close.
type fleetMonitor struct {
	store        domain.FleetStore
	offlineAfter time.Duration
	every        time.Duration
	now          func() time.Time
	log          *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startFleetMonitor(store domain.FleetStore, offlineAfter, every time.Duration, now func() time.Time, log *slog.Logger) *fleetMonitor {
	ctx, cancel := context.WithCancel(context.Background())
	m := &fleetMonitor{store: store, offlineAfter: offlineAfter, every: every, now: now, log: log, cancel: cancel}
	m.wg.Add(1)
	go m.run(ctx)
	return m
}

func (m *fleetMonitor) run(ctx context.Context) {
	defer m.wg.Done()
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.check(ctx)
		}
	}
}

// check runs one pass; the limit comes from the injected clock.
func (m *fleetMonitor) check(ctx context.Context) {
	limit := m.now().UTC().Add(-m.offlineAfter) // MarkSilentOffline records the change at now
	ids, err := m.store.MarkSilentOffline(ctx, limit, m.now().UTC())
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("cloud: fleet monitor", "err", err)
		}
		return
	}
	for _, id := range ids {
		m.log.Warn("cloud: gateway silent, marked offline", "gw", id, "silent_for_more_than", m.offlineAfter)
	}
}

// stop cancels the monitor and waits for it.
func (m *fleetMonitor) stop() {
	m.cancel()
	m.wg.Wait()
}
