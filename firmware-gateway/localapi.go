package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/metrics"
)

// The local HTTP API's backend (httpapi.Backend, MetricsBackend): status,
// the demo panel's simulated devices, metrics, health.

// Status implements httpapi.Backend.
func (g *Gateway) Status(ctx context.Context) (httpapi.Status, error) {
	n, err := g.store.PendingCount(ctx)
	if err != nil {
		return httpapi.Status{}, fmt.Errorf("gateway: status: %w", err)
	}
	dead, err := g.store.DeadLetterCount(ctx)
	if err != nil {
		return httpapi.Status{}, fmt.Errorf("gateway: status: %w", err)
	}
	ri, err := g.store.RosterInfo(ctx)
	if err != nil {
		return httpapi.Status{}, fmt.Errorf("gateway: status: %w", err)
	}
	st := httpapi.Status{
		DeadLetters: dead, RosterVersion: ri.Version, RosterElders: ri.Elders, RosterSource: ri.Report().Source,
		GatewayID: g.cfg.GatewayID, Site: g.cfg.Site, SiteName: g.cfg.SiteName, ResultSeconds: g.cfg.Kiosk.ResultSeconds, Version: g.version, Boot: g.store.Boot(),
		UplinkConnected: g.up.Connected(), OutboxPending: n, Simulation: g.cfg.Simulation,
		TimeZone: g.desk.Policy().TimeZone,
		Devices:  g.devices.Statuses(),
	}
	if m := g.currentMenu(); m != nil { // menu.go
		st.MenuVersion, st.MenuDishes = m.Version, len(m.Dishes)
	}
	if g.voice != nil {
		v := g.voice.Status()
		st.Voice = &v
	}
	return st, nil
}

// VoiceHandler implements httpapi.VoiceBackend: GET /api/voice (package voice).
func (g *Gateway) VoiceHandler() http.Handler {
	if g.voice == nil {
		return nil
	}
	return g.voice.Handler()
}

// SimRoster implements httpapi.Backend: the roster cards for the demo panel.
func (g *Gateway) SimRoster(ctx context.Context) ([]httpapi.SimCard, error) {
	elders, err := g.store.Roster(ctx)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	out := make([]httpapi.SimCard, 0, len(elders))
	for _, e := range elders {
		out = append(out, httpapi.SimCard{Name: eldergate.MaskName(e.Name), Card: e.Card})
	}
	return out, nil
}

// SimTap implements httpapi.Backend through the simulated reader.
func (g *Gateway) SimTap(cardID string) error { return g.devices.SimTap(cardID) }

// SimWeight implements httpapi.Backend through the simulated scale.
func (g *Gateway) SimWeight(grams int64, stable bool) error {
	return g.devices.SimWeight(grams, stable)
}

// SimButton implements httpapi.Backend through the simulated button.
func (g *Gateway) SimButton(id string) error { return g.devices.SimButton(id) }

// SimTill implements httpapi.SimTillBackend through a simulated till of
// till.devices.
func (g *Gateway) SimTill(till string, amountFen int64, ref string) error {
	return g.tills.SimRing(till, eldergate.Fen(amountFen), ref)
}

// WriteMetrics implements httpapi.MetricsBackend: the registry's counters
// and the gauges read now.
func (g *Gateway) WriteMetrics(ctx context.Context, w io.Writer) error {
	now, clockState := g.clock.Stamp(time.Time{})
	gauges := metrics.Gauges{
		UplinkConnected: g.up.Connected(), Devices: g.devices.Statuses(), ClockSynced: clockState == eldergate.ClockSynced,
		DiskFreeBytes: g.disk.FreeBytes(), DiskFull: g.disk.Full(), Boot: g.store.Boot(),
		Uptime: time.Since(g.startedAt), Version: g.version,
	}
	gauges.JumpsForward, gauges.JumpsBackward = g.clock.Jumps()
	st, err := g.store.OutboxStats(ctx)
	if err == nil {
		gauges.Outbox = &metrics.Outbox{Pending: st.Pending, OldestAge: metrics.OldestAge(now, st.OldestPending), DeadLetters: st.DeadLetters}
	}
	if werr := g.metrics.Write(w, gauges); werr != nil {
		return fmt.Errorf("gateway: %w", werr)
	}
	if err != nil {
		return fmt.Errorf("gateway: metrics: %w", err)
	}
	return nil
}

// Healthy reports whether the gateway can still record events: the store
// answers. The systemd watchdog is fed only while it does.
func (g *Gateway) Healthy(ctx context.Context) error {
	if g.store == nil {
		return fmt.Errorf("gateway: not started")
	}
	return g.store.Ping(ctx)
}
