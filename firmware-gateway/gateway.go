// Package gateway is the daemon that runs on a site's gateway: it composes
// the device drivers, the SQLite store, the offline subsidy decision, the
// MQTT uplink and the local HTTP/SSE API that serves the kiosk.
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
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/button/buttonsim"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/cardsim"
	"github.com/eldergate/eldergate/drivers/registry"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/scalesim"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
	"github.com/eldergate/eldergate/kiosk"
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

// Gateway is one running gateway.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	version string

	store *sqlite.Store
	up    *uplink.Uplink
	http  *httpapi.Server

	cardDev   card.Reader
	scaleDev  scale.Scale
	buttonDev button.Source
	cardSim   *cardsim.Reader
	scaleSim  *scalesim.Scale
	buttonSim *buttonsim.Source

	runCtx context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	ops opsState // clock, heartbeat, metrics, staff, disk guard (ops.go)
	cmd cmdState // commands from the cloud, live device changes (commands.go)

	mu         sync.Mutex // guards the fields below
	lastSeen   map[string]time.Time
	weight     scale.Weight
	openAlerts map[string]string // button -> alert id of its last raised alert
	configSHA  string            // reported in the birth (reported.go)
	started    bool
	closed     bool
}

// New checks the configuration and prepares a gateway; Start runs it.
func New(cfg Config, opts ...Option) (*Gateway, error) {
	if err := cfg.applyCredentials(); err != nil { // credentials.go
		return nil, err
	}
	cfg.applyDefaults()
	if cfg.RosterFile != "" {
		elders, err := loadRoster(cfg.RosterFile)
		if err != nil {
			return nil, err
		}
		cfg.Roster = append(cfg.Roster, elders...)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg:        cfg,
		log:        slog.New(slog.DiscardHandler),
		now:        time.Now,
		version:    DefaultVersion,
		lastSeen:   map[string]time.Time{},
		openAlerts: map[string]string{},
	}
	g.cmd.queue = make(chan []byte, commandQueue)
	for _, o := range opts {
		o(g)
	}
	g.log = g.log.With("gw", cfg.GatewayID)
	g.useAppliedConfig() // the last config pushed by the cloud (commands_config.go)
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
			g.closeDevices()
			g.store.Close()
			g.store = nil
		}
	}()
	if err := g.setupRoster(ctx); err != nil { // roster key, seed (roster.go)
		return err
	}
	g.log = g.log.With("boot", st.Boot())
	if err := g.initOps(ctx); err != nil {
		return err
	}

	if err := g.openDevices(); err != nil {
		return err
	}

	g.up, err = uplink.New(uplink.Config{
		URL:        g.cfg.MQTT.URL,
		ClientID:   g.cfg.GatewayID,
		Username:   g.cfg.MQTT.Username,
		Password:   g.cfg.MQTT.Password,
		GW:         g.cfg.GatewayID,
		Boot:       st.Boot(),
		Version:    g.version,
		BatchSize:  g.cfg.MQTT.BatchSize,
		BatchWait:  g.cfg.MQTT.BatchWait,
		AckTimeout: g.cfg.MQTT.AckTimeout,
		KeepAlive:  g.cfg.MQTT.KeepAlive,

		CAFile:        g.cfg.MQTT.CAFile,
		TLSServerName: g.cfg.MQTT.TLSServerName,
		OnCommand:     g.enqueueCommand, // commands.go
		Reported:      g.reported,       // reported.go
	}, st, g.log) // resend timing uses the real clock, not the injected one
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}

	g.http = httpapi.New(httpapi.Config{Addr: g.cfg.HTTPAddr, Simulation: g.cfg.Simulation}, g, kiosk.FS(), g.log)
	if err := g.http.Listen(); err != nil {
		return fmt.Errorf("gateway: %w", err)
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
	g.startOpsLoops()
	g.startDeviceLoops() // restartable by a config command (commands_config.go)
	g.goRun("commands", g.runCommands)
	g.log.Info("gateway: started", "site", g.cfg.Site, "http", g.http.URL(), "broker", g.cfg.MQTT.URL, "simulation", g.cfg.Simulation)
	return nil
}

func (g *Gateway) openDevices() error {
	d := g.cfg.Devices
	if d.Card.Driver == DriverSim {
		g.cardSim = cardsim.New(cardsim.WithName(d.Card.Name), cardsim.WithClock(g.now))
		g.cardDev = g.cardSim
	} else if d.Card.Driver != DriverNone {
		e, err := registry.Lookup(registry.Card, d.Card.Driver)
		if err == nil {
			g.cardDev, err = e.OpenCard(g.driverOptions(d.Card))
		}
		if err != nil {
			return fmt.Errorf("gateway: card reader: %w", err)
		}
	}
	if d.Scale.Driver == DriverSim {
		g.scaleSim = scalesim.New(scalesim.WithName(d.Scale.Name), scalesim.WithClock(g.now))
		g.scaleDev = g.scaleSim
	} else if d.Scale.Driver != DriverNone {
		e, err := registry.Lookup(registry.Scale, d.Scale.Driver)
		if err == nil {
			g.scaleDev, err = e.OpenScale(g.driverOptions(d.Scale))
		}
		if err != nil {
			return fmt.Errorf("gateway: scale: %w", err)
		}
	}
	if d.Button.Driver == DriverSim {
		g.buttonSim = buttonsim.New(buttonsim.WithName(d.Button.Name), buttonsim.WithClock(g.now))
		g.buttonDev = g.buttonSim
	} else if d.Button.Driver != DriverNone {
		e, err := registry.Lookup(registry.Button, d.Button.Driver)
		if err == nil {
			g.buttonDev, err = e.OpenButton(g.driverOptions(d.Button))
		}
		if err != nil {
			return fmt.Errorf("gateway: button: %w", err)
		}
	}
	return nil
}

// driverOptions turns a device's configuration into driver options; every
// status change of the device is logged.
func (g *Gateway) driverOptions(d DeviceConfig) drivers.Options {
	log := g.log.With("device", d.Name, "driver", d.Driver)
	return drivers.Options{
		Name: d.Name, Port: d.Port, Baud: d.Baud, Params: drivers.Params(d.Settings), Now: g.now, Log: log,
		OnStatus: func(s drivers.Status) {
			if s.Connected {
				log.Info("gateway: device connected", "port", d.Port)
			} else {
				log.Warn("gateway: device disconnected", "port", d.Port, "err", s.Err)
			}
		},
	}
}

func (g *Gateway) closeDevices() {
	for _, c := range []interface{ Close() error }{g.cardDev, g.scaleDev, g.buttonDev} {
		if c != nil {
			c.Close()
		}
	}
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

// goDevice runs a device loop, restarting it after an unexpected error.
func (g *Gateway) goDevice(name string, run func(context.Context) error) {
	g.goRun(name, func(ctx context.Context) error {
		for {
			err := run(ctx)
			if ctx.Err() != nil || errors.Is(err, drivers.ErrClosed) {
				return nil
			}
			g.log.Error("gateway: device failed, restarting", "device", name, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(2 * time.Second):
			}
		}
	})
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
	g.closeOps()
	g.closeDevices()
	if g.store != nil {
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
