package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/devices"
	"github.com/eldergate/eldergate/firmware-gateway/update"
)

// Over-the-air updates (package update, ADR 0029): the gateway gives the
// state machine its durable reports (update events in the outbox), its
// gate (no install during a meal window of the policy or while an alarm
// is open) and the health check a new binary must pass before it is
// committed.

// UpdateDir is the update state's directory under data_dir.
const UpdateDir = "update"

// newUpdate makes the update machine (Start runs it).
func (g *Gateway) newUpdate() error {
	keys, err := g.cfg.Update.Keys()
	if err != nil {
		return err
	}
	ca := g.cfg.Update.CAFile
	if ca == "" {
		ca = g.cfg.MQTT.CAFile
	}
	client, err := update.NewClient(ca)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.ota = update.New(update.Config{
		Dir: filepath.Join(g.cfg.DataDir, UpdateDir), Keys: keys, CloudURL: g.cfg.Update.CloudURL, Client: client,
		GatewayID: g.cfg.GatewayID, Secret: g.cfg.MQTT.Password,
		Version: g.version, BaseVersion: os.Getenv(update.EnvLauncher), Platform: update.Platform(), Self: update.Self(),
		Report: g.reportUpdate, Gate: g.updateGate, Health: g.health, Restart: g.restart,
		Now: g.now, Log: g.log, RetryInterval: g.cfg.Update.RetryInterval,
	})
	return nil
}

// reportUpdate commits an update event to the outbox: the cloud gets it
// with an application ack, even after a restart or an outage.
func (g *Gateway) reportUpdate(ctx context.Context, d eldergate.UpdateData) error {
	at, _ := g.clock.Stamp(time.Time{})
	env, err := g.env.New(eldergate.KindUpdate, at, d)
	if err != nil {
		return err
	}
	if _, err := g.store.Commit(ctx, env, nil); err != nil {
		return fmt.Errorf("gateway: update event: %w", err)
	}
	g.up.Notify()
	return nil
}

// updateGate says whether an install must wait: a meal window of the
// running policy is open now (the policy's own rule, in the site's zone),
// or an emergency alarm of the site is open.
func (g *Gateway) updateGate(now time.Time) (code, reason string) {
	pol := g.desk.Policy()
	if w, end, ok := pol.WindowAt(now); ok { // the rule the cloud's rollouts wait on too
		return update.CodeMealWindow, fmt.Sprintf("meal window %s is open until %s %s: the install waits for its end", w, end.In(g.zone()).Format("15:04"), pol.TimeZone)
	}
	for _, a := range g.alarms.Alerts() {
		if a.Type == eldergate.AlertTypeEmergency && (a.State == alarms.StateOpen || a.State == alarms.StateAcknowledged) {
			return update.CodeAlarmOpen, fmt.Sprintf("alarm %s (%s) is open: the install waits until it is resolved", a.AlertID, a.ButtonName)
		}
	}
	return "", ""
}

// zone is the policy's time zone (UTC when it has none that loads).
func (g *Gateway) zone() *time.Location {
	if loc, err := time.LoadLocation(g.desk.Policy().TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// health is the health check of a new binary: the store opens and takes
// a write, the configured card reader and scale answer, the kiosk page is
// served, the uplink connects and one heartbeat is committed by the cloud
// (its application ack, not the broker's PUBACK). Each check waits until
// ctx's deadline; the first that does not pass gives the code.
func (g *Gateway) health(ctx context.Context) (code, reason string) {
	type check struct {
		code string
		run  func(context.Context) error
	}
	var heartbeat string // the heartbeat event waited for
	checks := []check{
		{"health_store", func(ctx context.Context) error {
			if err := g.store.Ping(ctx); err != nil {
				return err
			}
			floor := g.clock.Floor()
			if err := g.store.SaveClockFloor(ctx, floor); err != nil {
				return err
			}
			got, err := g.store.ClockFloor(ctx)
			if err != nil {
				return err
			}
			if got.Before(floor.Truncate(time.Second)) {
				return fmt.Errorf("wrote clock floor %s, read %s", floor, got)
			}
			return nil
		}},
		{"health_card", func(context.Context) error { return g.deviceAnswers(devices.KindCard, g.cfg.Devices.Card.Driver) }},
		{"health_scale", func(context.Context) error { return g.deviceAnswers(devices.KindScale, g.cfg.Devices.Scale.Driver) }},
		{"health_kiosk", g.kioskServed},
		{"health_uplink", func(context.Context) error {
			if !g.up.Connected() {
				return fmt.Errorf("not connected to the broker %s", brokerHosts(g.cfg.MQTT.Brokers()))
			}
			return nil
		}},
		{"health_heartbeat", func(ctx context.Context) error {
			if heartbeat != "" {
				delivered, exists, err := g.store.Delivered(ctx, heartbeat)
				if err != nil {
					return err
				}
				if delivered {
					return nil
				}
				if exists {
					return fmt.Errorf("heartbeat %s not acknowledged by the cloud", heartbeat)
				}
			}
			id, err := g.recordHeartbeat(ctx) // none yet, or replaced by the periodic one
			if err != nil {
				return err
			}
			heartbeat = id
			return fmt.Errorf("heartbeat %s not acknowledged by the cloud yet", id)
		}},
	}
	for _, c := range checks {
		var last error
		for {
			if last = c.run(ctx); last == nil {
				break
			}
			select {
			case <-ctx.Done():
				return c.code, fmt.Sprintf("health check: %s: %v (no answer within the health timeout)", strings.TrimPrefix(c.code, "health_"), last)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	g.log.Info("gateway: health check passed", "version", g.version)
	return "", ""
}

// deviceAnswers checks that the configured device of kind answers (a
// simulated one always does).
func (g *Gateway) deviceAnswers(kind, driver string) error {
	if driver == "none" {
		return nil
	}
	for _, d := range g.devices.Devices() {
		if d.Kind != kind {
			continue
		}
		if !d.Status.Connected {
			msg := fmt.Sprintf("%s %s (%s) does not answer", kind, d.Status.Name, d.Status.Driver)
			if d.Status.Err != "" {
				msg += ": " + d.Status.Err
			}
			return fmt.Errorf("%s", msg)
		}
		return nil
	}
	return fmt.Errorf("%s (%s) is configured but not open", kind, driver)
}

// kioskServed fetches the kiosk page from the gateway's own HTTP server.
func (g *Gateway) kioskServed(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.http.URL()+"/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(strings.ToLower(string(body)), "<html") {
		return fmt.Errorf("GET / answered %d (%s) without the kiosk page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return nil
}

// UpdateState is the update machine's persisted state (tests, diagnostics).
func (g *Gateway) UpdateState() (update.State, error) {
	if g.ota == nil {
		return update.State{}, fmt.Errorf("gateway: not started")
	}
	return g.ota.State()
}

// applyOTACommand accepts an ota command's update request.
func (g *Gateway) applyOTACommand(ctx context.Context, c eldergate.Command) (any, error) {
	req, err := eldergate.DecodeUpdateRequest(c.Body)
	if err != nil {
		return nil, fmt.Errorf("gateway: ota: %w", err)
	}
	return g.ota.Accept(ctx, c.ID, req)
}
