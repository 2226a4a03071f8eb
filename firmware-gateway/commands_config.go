package gateway

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// appliedConfigFile, in data_dir, holds the last configuration applied by
// a config or policy command; a restart uses it (useAppliedConfig).
const appliedConfigFile = "config.applied.yaml"

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// validateRemote checks the settings of commands_config.go and roster.go.
func (c *Config) validateRemote() error {
	if c.RosterKey != "" {
		k, err := hex.DecodeString(c.RosterKey)
		if err != nil || len(k) < sqlite.MinRosterKeyBytes {
			return fmt.Errorf("gateway: config: roster_key: must be at least %d bytes in hex (%d hex digits)", sqlite.MinRosterKeyBytes, 2*sqlite.MinRosterKeyBytes)
		}
	}
	if (c.MQTT.CAFile != "" || c.MQTT.TLSServerName != "") && !uplink.TLSScheme(c.MQTT.URL) {
		return fmt.Errorf("gateway: config: mqtt.ca_file and mqtt.tls_server_name need an ssl://, tls:// or mqtts:// mqtt.url, not %q", c.MQTT.URL)
	}
	return nil
}

// localOnly copies from src to dst the settings a config command may not
// change: identity, storage, where and how to reach the broker, the local
// HTTP binding, the roster key and the seed roster. A wrong value there
// would cut the gateway off from the cloud that could repair it.
func localOnly(dst *Config, src Config) {
	dst.GatewayID, dst.DataDir, dst.HTTPAddr, dst.HTTPPublic = src.GatewayID, src.DataDir, src.HTTPAddr, src.HTTPPublic
	dst.MQTT.URL, dst.MQTT.Username, dst.MQTT.Password = src.MQTT.URL, src.MQTT.Username, src.MQTT.Password
	dst.MQTT.CAFile, dst.MQTT.TLSServerName, dst.MQTT.KeepAlive = src.MQTT.CAFile, src.MQTT.TLSServerName, src.MQTT.KeepAlive
	dst.RosterKey, dst.Roster, dst.RosterFile = src.RosterKey, src.Roster, src.RosterFile
}

// checkLocalOnly reports the local-only settings a pushed configuration
// sets to another value than the running one.
func checkLocalOnly(pushed, cur Config) error {
	var bad []string
	for _, f := range []struct {
		key       string
		set, same bool
	}{
		{"gateway_id", pushed.GatewayID != "", pushed.GatewayID == cur.GatewayID},
		{"data_dir", pushed.DataDir != "", pushed.DataDir == cur.DataDir},
		{"http_addr", pushed.HTTPAddr != "", pushed.HTTPAddr == cur.HTTPAddr},
		{"mqtt.url", pushed.MQTT.URL != "", pushed.MQTT.URL == cur.MQTT.URL},
		{"mqtt.username", pushed.MQTT.Username != "", pushed.MQTT.Username == cur.MQTT.Username},
		{"mqtt.password", pushed.MQTT.Password != "", pushed.MQTT.Password == cur.MQTT.Password},
		{"mqtt.ca_file", pushed.MQTT.CAFile != "", pushed.MQTT.CAFile == cur.MQTT.CAFile},
		{"mqtt.tls_server_name", pushed.MQTT.TLSServerName != "", pushed.MQTT.TLSServerName == cur.MQTT.TLSServerName},
		{"mqtt.keepalive", pushed.MQTT.KeepAlive != 0, pushed.MQTT.KeepAlive == cur.MQTT.KeepAlive},
		{"roster_key", pushed.RosterKey != "", pushed.RosterKey == cur.RosterKey},
		{"roster", len(pushed.Roster) > 0, false},
		{"roster_file", pushed.RosterFile != "", false},
	} {
		if f.set && !f.same {
			bad = append(bad, f.key)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("gateway: config: %s cannot be changed by a config command (local settings; the roster comes by roster command)", strings.Join(bad, ", "))
	}
	return nil
}

// restartNeeded lists the top-level settings (YAML keys) that differ
// between a and b and are not applied live: they take effect at the next
// start, from the persisted configuration.
func restartNeeded(a, b Config) []string {
	for _, c := range []*Config{&a, &b} { // applied live or local-only
		c.Devices, c.TapDedupe, c.MQTT.BatchSize, c.MQTT.BatchWait = DevicesConfig{}, 0, 0, 0
		c.Policy = Config{}.Policy
		localOnly(c, Config{})
	}
	var out []string
	va, vb, t := reflect.ValueOf(a), reflect.ValueOf(b), reflect.TypeOf(a)
	for i := range t.NumField() {
		if !sameYAML(va.Field(i).Interface(), vb.Field(i).Interface()) {
			key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			out = append(out, key)
		}
	}
	return out
}

// sameYAML compares two settings as they would be written: a nil and an
// empty map or list are the same setting.
func sameYAML(a, b any) bool {
	ya, erra := yaml.Marshal(a)
	yb, errb := yaml.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ya, yb)
}

// snapshot returns a copy of the running configuration.
func (g *Gateway) snapshot() Config {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg
}

// applyConfigCommand validates a pushed configuration and applies it
// without a restart where it can: devices (drivers closed and opened
// again), tap_dedupe, mqtt.batch_size and batch_wait, and the policy. The
// rest is persisted and applies at the next start (restart_required in the
// result). When any step fails, the previous configuration is restored and
// the error returned; an invalid configuration touches nothing.
func (g *Gateway) applyConfigCommand(ctx context.Context, body []byte) (any, error) {
	text, err := bodyText(body)
	if err != nil {
		return nil, fmt.Errorf("gateway: config: %w", err)
	}
	if len(text) > maxConfigBytes {
		return nil, fmt.Errorf("gateway: config: larger than %d bytes", maxConfigBytes)
	}
	var nc Config
	if err := decodeStrict(text, &nc); err != nil {
		return nil, fmt.Errorf("gateway: config: %w", err)
	}
	old := g.snapshot()
	if err := checkLocalOnly(nc, old); err != nil {
		return nil, err
	}
	localOnly(&nc, old)
	nc.applyDefaults()
	if err := nc.Validate(); err != nil {
		return nil, err // e.g. an unknown driver: nothing was touched
	}

	var applied []string
	var undo []func()
	rollback := func(cause error) error {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		g.log.Error("gateway: config not applied, previous configuration restored", "err", cause)
		return fmt.Errorf("%w (previous configuration restored)", cause)
	}
	if !sameYAML(old.Devices, nc.Devices) {
		if err := g.reopenDevices(nc.Devices, old.Devices); err != nil {
			return nil, rollback(err) // reopenDevices has already reopened the old ones
		}
		applied = append(applied, "devices")
		undo = append(undo, func() {
			if err := g.reopenDevices(old.Devices, nc.Devices); err != nil {
				g.log.Error("gateway: previous devices not restored", "err", err)
			}
		})
	}
	if !sameYAML(old.Policy, nc.Policy) {
		if err := g.SetPolicy(nc.Policy); err != nil {
			return nil, rollback(err)
		}
		applied = append(applied, "policy")
		undo = append(undo, func() { g.SetPolicy(old.Policy) })
	}
	g.setLive(nc.TapDedupe, nc.MQTT.BatchSize, nc.MQTT.BatchWait)
	undo = append(undo, func() { g.setLive(old.TapDedupe, old.MQTT.BatchSize, old.MQTT.BatchWait) })
	if old.TapDedupe != nc.TapDedupe {
		applied = append(applied, "tap_dedupe")
	}
	if old.MQTT.BatchSize != nc.MQTT.BatchSize || old.MQTT.BatchWait != nc.MQTT.BatchWait {
		applied = append(applied, "mqtt.batch")
	}
	oldSHA := g.currentConfigSHA()
	if err := g.setConfigSHA(configSHA(text)); err != nil { // reported.go
		return nil, rollback(err)
	}
	undo = append(undo, func() {
		if err := g.setConfigSHA(oldSHA); err != nil {
			g.log.Error("gateway: previous config checksum not restored", "err", err)
		}
	})
	if err := g.persistConfig(nc); err != nil {
		return nil, rollback(err)
	}
	restart := restartNeeded(old, nc)
	g.log.Info("gateway: config applied", "applied", applied, "restart_required", restart)
	return map[string][]string{"applied": nonNil(applied), "restart_required": nonNil(restart)}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// setLive sets the settings read on every tap and batch.
func (g *Gateway) setLive(dedupe time.Duration, batchSize int, batchWait time.Duration) {
	g.mu.Lock()
	g.cfg.TapDedupe, g.cfg.MQTT.BatchSize, g.cfg.MQTT.BatchWait = dedupe, batchSize, batchWait
	g.mu.Unlock()
	g.up.SetBatch(batchSize, batchWait)
}

// persistConfig writes the configuration without its local-only settings
// (no broker password in the file) for the next start.
func (g *Gateway) persistConfig(c Config) error {
	localOnly(&c, Config{})
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("gateway: persist config: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(g.cfg.DataDir, appliedConfigFile), b); err != nil {
		return fmt.Errorf("gateway: persist config: %w", err)
	}
	return nil
}

// persistPolicy persists the policy now running: into the configuration
// last applied by a command (which may hold settings waiting for a
// restart), or else into the running configuration.
func (g *Gateway) persistPolicy() error {
	cur := g.snapshot()
	c := cur
	if b, err := os.ReadFile(filepath.Join(g.cfg.DataDir, appliedConfigFile)); err == nil {
		var applied Config
		if err := decodeStrict(b, &applied); err != nil {
			return fmt.Errorf("gateway: persist policy: %w", err)
		}
		c = applied
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("gateway: persist policy: %w", err)
	}
	c.Policy = cur.Policy
	return g.persistConfig(c)
}

// useAppliedConfig replaces the configuration by the one last applied by a
// command, keeping the local-only settings of the file the gateway was
// started with. A persisted configuration that no longer validates (a
// driver removed by an update, say) is ignored with a log line.
func (g *Gateway) useAppliedConfig() {
	path := filepath.Join(g.cfg.DataDir, appliedConfigFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	var nc Config
	if err == nil {
		err = decodeStrict(b, &nc)
	}
	if err == nil {
		localOnly(&nc, g.cfg)
		nc.applyDefaults()
		err = nc.Validate()
	}
	if err != nil {
		g.log.Error("gateway: applied configuration ignored, using the configuration file", "file", path, "err", err)
		return
	}
	g.cfg = nc
	g.configSHA = g.loadConfigSHA() // reported.go
	g.log.Info("gateway: using the configuration last applied by the cloud", "file", path, "config_sha256", g.configSHA)
}

// deviceRun is the set of device loops of the current devices.
type deviceRun struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startDeviceLoops runs a loop per open device under a context of its own,
// so that a config command can stop them, change the devices and start
// them again. The loops are also counted in g.wg for Close.
func (g *Gateway) startDeviceLoops() {
	ctx, cancel := context.WithCancel(g.runCtx)
	r := &deviceRun{cancel: cancel}
	loop := func(name string, run func(context.Context) error) {
		r.wg.Add(1)
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer r.wg.Done()
			for {
				err := run(ctx)
				if ctx.Err() != nil || errors.Is(err, drivers.ErrClosed) {
					return
				}
				g.log.Error("gateway: device failed, restarting", "device", name, "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(2 * time.Second):
				}
			}
		}()
	}
	if c := g.cardDev; c != nil {
		loop("card", func(ctx context.Context) error { return c.Run(ctx, g.onRead) })
	}
	if s := g.scaleDev; s != nil {
		loop("scale", func(ctx context.Context) error { return s.Run(ctx, g.onWeight) })
	}
	if b := g.buttonDev; b != nil {
		loop("button", func(ctx context.Context) error { return b.Run(ctx, g.onPress) })
	}
	g.cmd.devRun = r
}

// reopenDevices stops the device loops, closes the devices and opens the
// devices of next. When that fails it opens the devices of prev again and
// returns the error. The loops run again in both cases.
func (g *Gateway) reopenDevices(next, prev DevicesConfig) error {
	g.cmd.devMu.Lock()
	defer g.cmd.devMu.Unlock()
	if r := g.cmd.devRun; r != nil {
		r.cancel()
		r.wg.Wait()
	}
	g.closeDevices()
	open := func(d DevicesConfig) error {
		g.cardDev, g.scaleDev, g.buttonDev, g.cardSim, g.scaleSim, g.buttonSim = nil, nil, nil, nil, nil, nil
		g.mu.Lock()
		g.cfg.Devices = d
		g.mu.Unlock()
		if err := g.openDevices(); err != nil {
			g.closeDevices()
			return err
		}
		return nil
	}
	err := open(next)
	if err != nil {
		g.log.Error("gateway: new devices failed to open, reopening the previous ones", "err", err)
		if perr := open(prev); perr != nil {
			g.log.Error("gateway: previous devices failed to open too", "err", perr)
			err = errors.Join(err, fmt.Errorf("gateway: previous devices: %w", perr))
		}
	}
	g.startDeviceLoops()
	return err
}
