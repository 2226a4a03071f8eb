// Package gateway is the daemon that runs on a site's gateway. Gateway is
// the wiring of its subsystems, each a package of its own: the tap desk
// (tapdesk: one read to one decided, committed meal), the devices, the
// alarms, the commands from the cloud, the clock guard, the metrics, the
// staff sessions, the SQLite store, the MQTT uplink and the local
// HTTP/SSE API that serves the kiosk. See docs/adr/0007-gateway-tap-desk.md.
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
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/clockguard"
	"github.com/eldergate/eldergate/firmware-gateway/commands"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/devices"
	"github.com/eldergate/eldergate/firmware-gateway/envelope"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/metrics"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/staffauth"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/firmware-gateway/update"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
	"github.com/eldergate/eldergate/firmware-gateway/voice"
	"github.com/eldergate/eldergate/kiosk"
	"github.com/eldergate/eldergate/policy"
)

// DefaultVersion is reported when no version is set with WithVersion.
const DefaultVersion = "0.1.0-dev"

// OutboxEntry is one event in the outbox, for tests and diagnostics.
type OutboxEntry struct {
	ID        string
	Kind      eldergate.Kind
	Delivered bool
	Attempts  int
	Rejected  bool // dead-lettered: the cloud refused it
}

// Option configures a Gateway.
type Option func(*Gateway)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(g *Gateway) { g.log = l } }

// WithClock sets the clock that stamps and decides events (default time.Now).
func WithClock(now func() time.Time) Option { return func(g *Gateway) { g.now = now } }

// WithVersion sets the version reported in the birth message and status.
func WithVersion(v string) Option { return func(g *Gateway) { g.version = v } }

// WithClockSync sets the source that tells whether the system clock is
// synchronised (default: the kernel, via adjtimex on Linux).
func WithClockSync(synced func() bool) Option { return func(g *Gateway) { g.clockSync = synced } }

// WithMinValidTime sets the earliest believable time (default: the VCS
// time of the build, else 2025-01-01). Earlier times are unsynced.
func WithMinValidTime(t time.Time) Option { return func(g *Gateway) { g.minValid = t } }

// WithRestart sets what a reboot command does once its result is
// recorded: typically cancel the daemon's context so that main returns
// and systemd starts the gateway again. Without it a reboot command fails.
func WithRestart(fn func()) Option { return func(g *Gateway) { g.restart = fn } }

// Gateway is one running gateway: the wiring of its subsystems. The
// configuration is the one it started with; what changes at run time
// (policy, dedupe window, devices, batching) lives in the subsystem that
// owns it (running() puts it together).
type Gateway struct {
	cfg       config.Config
	log       *slog.Logger
	now       func() time.Time
	version   string
	clockSync func() bool
	minValid  time.Time
	restart   func()
	startedAt time.Time // real start time, for the uptime

	store   *sqlite.Store
	clock   *clockguard.Guard
	env     envelope.Maker
	metrics *metrics.Registry
	disk    *tapdesk.DiskGuard
	staff   *staffauth.Auth
	devices *devices.Set
	outputs *devices.Outputs
	tills   *devices.Tills // tills on device lines (till.go)
	up      *uplink.Uplink
	http    *httpapi.Server
	desk    *tapdesk.Desk
	alarms  *alarms.Alarms
	cmds    *commands.Handler
	voice   *voice.Speaker  // nil when its cache directory cannot be made
	probe   probe           // the operator's card and scale tests (operator.go)
	ota     *update.Machine // over-the-air updates (ota.go)

	runCtx context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex      // guards the fields below
	configSHA string          // reported in the birth (reported.go)
	menu      *eldergate.Menu // the site's menu (menu.go); nil before the first
	started   bool
	closed    bool
}

// New checks the configuration and prepares a gateway; Start runs it.
func New(cfg config.Config, opts ...Option) (*Gateway, error) {
	if err := cfg.ApplyCredentials(); err != nil {
		return nil, err
	}
	cfg.ApplyDefaults()
	if cfg.RosterFile != "" {
		elders, err := config.LoadRoster(cfg.RosterFile)
		if err != nil {
			return nil, err
		}
		cfg.Roster = append(cfg.Roster, elders...)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg:     cfg,
		log:     slog.New(slog.DiscardHandler),
		now:     time.Now,
		version: DefaultVersion,
	}
	for _, o := range opts {
		o(g)
	}
	g.log = g.log.With("gw", cfg.GatewayID)
	g.useAppliedConfig() // the last config pushed by the cloud (commands.go)
	return g, nil
}

// Start opens the store, starts the drivers, the uplink and the HTTP
// server, and returns once the server is listening. The uplink connects in
// the background: the gateway works without a broker. Cancelling ctx
// stops the gateway's work; Close must still be called.
func (g *Gateway) Start(ctx context.Context) (err error) {
	g.mu.Lock()
	if g.started {
		g.mu.Unlock()
		return errors.New("gateway: already started")
	}
	g.started = true
	g.mu.Unlock()

	if err := os.MkdirAll(g.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("gateway: data_dir: %w", err)
	}
	dbPath := filepath.Join(g.cfg.DataDir, "gateway.db")
	if err := sqlite.CheckIntegrity(ctx, dbPath); err != nil {
		return fmt.Errorf("gateway: refusing to start: %w", err)
	}
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.store = st
	defer func() {
		if err != nil {
			if g.devices != nil {
				g.devices.Close()
			}
			if g.outputs != nil {
				g.outputs.Close()
			}
			if g.tills != nil {
				g.tills.Close()
			}
			g.store.Close()
			g.store = nil
		}
	}()
	if err := g.setupRoster(ctx); err != nil { // roster key, seed (roster.go)
		return err
	}
	if err := g.loadMenu(ctx); err != nil { // menu.go
		return err
	}
	g.log = g.log.With("boot", st.Boot())
	if err := g.startClock(ctx); err != nil {
		return err
	}
	g.env = envelope.Maker{GW: g.cfg.GatewayID, Site: g.cfg.Site, Boot: st.Boot(), Clock: g.clock.Last}
	g.metrics = metrics.New()
	g.staff = staffauth.New(g.cfg.Staff, g.cfg.StaffSession, g.now)
	g.disk = tapdesk.NewDiskGuard(tapdesk.DiskConfig{Dir: g.cfg.DataDir, Reserve: g.cfg.Store.ReserveBytes, MinFree: g.cfg.Store.MinFreeBytes}, g.log)
	g.disk.Start()

	g.devices, err = devices.Open(g.cfg.Devices, devices.Handlers{
		Read: func(ctx context.Context, rd card.Read) {
			if !g.probe.takeCard(rd) { // a card test's read is never a meal
				g.desk.Read(ctx, rd)
			}
		},
		Weigh:  func(w scale.Weight) { g.probe.weigh(w); g.desk.Weigh(w) },
		Press:  func(p button.Press) { g.alarms.Press(g.runCtx, p) },
		Signal: func(s button.Signal) { g.alarms.Signal(g.runCtx, s) },
	}, g.now, g.log)
	if err != nil {
		return err
	}
	g.outputs, err = devices.OpenOutputs(g.cfg.Outputs, devices.OutputsOptions{Now: g.now, Log: g.log, Site: g.cfg.Site,
		Zone: func() string { return g.desk.Policy().TimeZone },
		Fault: func(ctx context.Context, device, reason string, active bool) {
			g.alarms.Fault(ctx, device, reason, active)
		},
	})
	if err != nil {
		return err
	}
	g.devices.SetOutputs(g.outputs) // their statuses
	g.tills, err = devices.OpenTills(g.cfg.Till.Devices, g.now, g.log)
	if err != nil {
		return err
	}
	g.devices.SetTills(g.tills) // their statuses

	g.up, err = uplink.New(uplink.Config{
		URLs:       g.cfg.MQTT.Brokers(),
		ClientID:   uplink.MQTTClientID(g.cfg.GatewayID),
		Username:   g.cfg.MQTT.Username,
		Password:   g.cfg.MQTT.Password,
		GW:         g.cfg.GatewayID,
		Boot:       st.Boot(),
		Version:    g.version,
		BatchSize:  g.cfg.MQTT.BatchSize,
		BatchWait:  g.cfg.MQTT.BatchWait,
		AckTimeout: g.cfg.MQTT.AckTimeout,
		KeepAlive:  g.cfg.MQTT.KeepAlive,

		MaxReconnect:  g.cfg.MQTT.MaxReconnect,
		CAFile:        g.cfg.MQTT.CAFile,
		TLSServerName: g.cfg.MQTT.TLSServerName,
		OnCommand:     func(p []byte) { g.cmds.Enqueue(p) },
		Reported:      g.reported, // reported.go
	}, st, g.log) // resend timing uses the real clock, not the injected one
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}

	// The kiosk's voice: espeak-ng, cached under the data directory. The
	// gateway runs without it (the kiosk is silent).
	if sp, verr := voice.New(voice.Config{Dir: filepath.Join(g.cfg.DataDir, "voice"), Log: g.log, Now: g.now}); verr != nil {
		g.log.Warn("gateway: no voice", "err", verr)
	} else {
		g.voice = sp
	}
	g.http = httpapi.New(httpapi.Config{Addr: g.cfg.HTTPAddr, Simulation: g.cfg.Simulation,
		OnStreams:  func(n int) { g.alarms.KioskStreams(g.runCtx, n) }, // streams come once Start is done
		TillTokens: g.cfg.Till.Tokens,                                  // till.go
	}, g, kiosk.FS(), g.log)
	if err := g.http.Listen(); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.desk = tapdesk.New(tapdesk.Config{
		Store: st, Clock: g.clock, Envelopes: g.env, Publisher: tapOutputs{g}, Metrics: g.metrics, Disk: g.disk,
		Staff: staffCards{g}, Notify: g.up.Notify, // staff.go
		Now: g.now, Site: policy.Site{ID: g.cfg.Site, Place: g.cfg.Area}, Policy: g.cfg.Policy, Dedupe: g.cfg.TapDedupe, Log: g.log,
		Till: tapdesk.TillConfig{Timeout: g.cfg.Till.Timeout, MaxFen: g.cfg.Till.MaxFen},
	})
	g.alarms = alarms.New(alarms.Config{
		GW: g.cfg.GatewayID, Recorder: critical{g}, Envelopes: g.env, Stamp: g.clock.Stamp, Publish: g.http.Publish, Notify: g.up.Notify, Now: g.now, Log: g.log,
		Buttons: alarmButtons(g.cfg.Alarms), KioskGrace: g.cfg.Alarms.KioskGrace, // alerts.go
		OnChange: g.outputs.Alert, // the siren
	})

	g.cmds = commands.New(commands.Config{
		Store: st, Envelopes: g.env, Uplink: g.up, Executor: executor{g}, Alerts: g.alarms, // commands.go
		Reported: g.reported, Rebirth: g.rebirthIfChanged, Restart: g.restart, Now: g.now, Log: g.log,
	})

	if err := g.newUpdate(); err != nil { // ota.go
		return err
	}

	g.runCtx, g.cancel = context.WithCancel(ctx)
	g.goRun("http", func(ctx context.Context) error { return g.http.Serve() })
	g.goRun("http-stop", func(ctx context.Context) error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return g.http.Shutdown(sctx)
	})
	g.goRun("uplink", g.up.Run)
	g.goRun("heartbeat", g.runHeartbeat)     // heartbeat.go
	g.goRun("maintenance", g.runMaintenance) // maintenance.go
	g.devices.Run(g.runCtx)                  // restartable by a config command; stopped by Close
	g.goRun("commands", g.cmds.Run)
	g.goRun("alarms", g.alarms.Run)   // supervision deadlines
	g.goRun("outputs", g.outputs.Run) // tickets, paper state
	// The tills on serial lines: their amounts take the HTTP till's path (till.go).
	g.goRun("tills", func(ctx context.Context) error { return g.tills.Run(ctx, g.deviceAmount) })
	g.goRun("update", g.ota.Run) // resumes an update where a restart left it
	g.log.Info("gateway: started", "site", g.cfg.Site, "http", g.http.URL(), "broker", g.cfg.MQTT.Brokers(), "simulation", g.cfg.Simulation)
	return nil
}

// startClock starts the clock guard from the floor persisted in the store.
func (g *Gateway) startClock(ctx context.Context) error {
	g.startedAt = time.Now()
	if g.minValid.IsZero() {
		g.minValid = clockguard.BuildTime()
	}
	floor, err := g.store.ClockFloor(ctx)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.clock = clockguard.New(g.now, g.clockSync, g.minValid, floor, g.log)
	if now, state := g.clock.Stamp(time.Time{}); state != eldergate.ClockSynced {
		g.log.Warn("gateway: clock not synchronised at start: events are marked unsynced", "now", now, "floor", floor, "min_valid", g.minValid)
	}
	return nil
}

// goRun runs fn in a goroutine owned by the gateway.
func (g *Gateway) goRun(name string, fn func(context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(g.runCtx); err != nil {
			g.log.Error("gateway: "+name+" stopped", "err", err)
		}
	}()
}

// HTTPURL is the base URL of the local HTTP server, e.g. http://127.0.0.1:8081.
func (g *Gateway) HTTPURL() string {
	if g.http == nil {
		return ""
	}
	return g.http.URL()
}

// Close stops every goroutine, waits for them and closes the store.
func (g *Gateway) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	g.mu.Unlock()
	if g.cancel != nil {
		g.cancel()
	}
	g.wg.Wait()
	if g.devices != nil {
		g.devices.Close() // waits for the device loops
	}
	if g.outputs != nil {
		g.outputs.Close() // switches them off
	}
	if g.tills != nil {
		g.tills.Close()
	}
	if g.store != nil {
		g.saveClockFloor() // maintenance.go
		if err := g.store.Close(); err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
	}
	g.log.Info("gateway: stopped")
	return nil
}

// Outbox lists every event of the outbox in seq order.
func (g *Gateway) Outbox(ctx context.Context) ([]OutboxEntry, error) {
	if g.store == nil {
		return nil, errors.New("gateway: not started")
	}
	rows, err := g.store.Outbox(ctx)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	out := make([]OutboxEntry, len(rows))
	for i, r := range rows {
		out[i] = OutboxEntry{ID: r.ID, Kind: r.Kind, Delivered: r.Delivered, Attempts: r.Attempts, Rejected: r.Rejected}
	}
	return out, nil
}

// Boot is the boot counter of this start.
func (g *Gateway) Boot() uint64 {
	if g.store == nil {
		return 0
	}
	return g.store.Boot()
}

// SetPolicy validates p and makes it the policy of the next decisions,
// without a restart. On an error the current policy stays. Before Start
// it replaces the policy Start begins with.
func (g *Gateway) SetPolicy(p policy.Policy) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	if g.desk == nil {
		g.cfg.Policy = p
		return nil
	}
	return g.desk.SetPolicy(p) // valid: cannot fail
}

// ApplyRemoteUsage stores cross-site usage pushed by the cloud (command
// usage) and records the sync time used by the policy's stale_usage.
// Rows of this gateway's own site are ignored.
func (g *Gateway) ApplyRemoteUsage(ctx context.Context, rows []sqlite.RemoteUsage) (int, error) {
	if g.desk == nil {
		return 0, errors.New("gateway: not started")
	}
	n, err := g.desk.ApplyRemoteUsage(ctx, rows)
	if err != nil {
		return 0, fmt.Errorf("gateway: %w", err)
	}
	return n, nil
}

// running is the configuration running now: the one started with, and
// what the subsystems changed since (the policy, dedupe window, devices
// and batching a command applied).
func (g *Gateway) running() config.Config {
	c := g.cfg
	if g.desk != nil {
		c.Policy, c.TapDedupe = g.desk.Policy(), g.desk.Dedupe()
	}
	if g.devices != nil {
		c.Devices = g.devices.Config()
	}
	if g.up != nil {
		c.MQTT.BatchSize, c.MQTT.BatchWait = g.up.Batch()
	}
	return c
}

// tapOutputs tells the kiosk of a tap, then the outputs (beep, light,
// ticket).
type tapOutputs struct{ g *Gateway }

func (t tapOutputs) Publish(event string, data any) {
	t.g.http.Publish(event, data)
	if ev, ok := data.(tapdesk.TapEvent); ok && event == tapdesk.EventTap {
		t.g.outputs.Tap(tapResult(ev, false))
	}
}

// tapResult is what the outputs are told of a tap; manual for a meal
// staff entered.
func tapResult(ev tapdesk.TapEvent, manual bool) devices.TapResult {
	return devices.TapResult{EventID: ev.EventID, Decision: ev.Decision, Manual: manual, Window: ev.Window,
		Price: ev.PriceFen, Subsidy: ev.SubsidyFen, Pay: ev.PayFen, Grams: ev.WeightG, Elder: ev.ElderName, At: ev.At}
}
