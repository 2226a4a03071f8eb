package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// What the commands from the cloud do to this gateway (the rules common
// to all commands are package commands'): ping, roster, policy, config,
// usage, menu, ota. A config command is applied live where a subsystem can take it
// (devices, the desk's policy and dedupe window, the uplink's batching)
// and persisted for the next start.

// HandleCommand handles one command payload as received on the cmd topic
// and returns its result, which it has also recorded and sent. Commands
// are handled one at a time.
func (g *Gateway) HandleCommand(ctx context.Context, payload []byte) eldergate.CommandResult {
	return g.cmds.Handle(ctx, payload)
}

// executor is the gateway's commands.Executor.
type executor struct{ g *Gateway }

// Execute applies one valid, unexpired command and returns its result body.
func (e executor) Execute(ctx context.Context, c eldergate.Command) (any, error) {
	g := e.g
	switch c.Type {
	case eldergate.CmdPing:
		return eldergate.PingResult{GatewayID: g.cfg.GatewayID, Boot: g.store.Boot(), Version: g.version, Time: g.now().UTC()}, nil
	case eldergate.CmdRoster:
		return g.applyRoster(ctx, c.Body) // roster.go
	case eldergate.CmdPolicy:
		return g.applyPolicyCommand(c.Body)
	case eldergate.CmdConfig:
		return g.applyConfigCommand(ctx, c.Body)
	case eldergate.CmdUsage:
		return g.applyUsageCommand(ctx, c.Body)
	case eldergate.CmdMenu:
		return g.applyMenuCommand(ctx, c.Body) // menu.go
	case eldergate.CmdOTA:
		return g.applyOTACommand(ctx, c) // ota.go
	}
	return nil, fmt.Errorf("gateway: command type %q is not supported by this gateway", c.Type)
}

// bodyText returns the YAML or JSON text of a command body: a JSON string
// holds YAML text, an object is JSON (which YAML reads as well).
func bodyText(body json.RawMessage) ([]byte, error) {
	if len(body) == 0 {
		return nil, errors.New("body is missing")
	}
	if body[0] == '"' {
		var s string
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, err
		}
		return []byte(s), nil
	}
	return body, nil
}

// applyPolicyCommand validates and applies a new policy. It is the one
// place that decodes a pushed policy, whatever the configuration's policy
// type is.
func (g *Gateway) applyPolicyCommand(body json.RawMessage) (any, error) {
	text, err := bodyText(body)
	if err != nil {
		return nil, fmt.Errorf("gateway: policy: %w", err)
	}
	var c config.Config // c.Policy has the configuration's policy type
	if err := config.DecodeStrict(text, &c.Policy); err != nil {
		return nil, fmt.Errorf("gateway: policy: %w", err)
	}
	old := g.running().Policy
	if err := g.SetPolicy(c.Policy); err != nil { // validates first
		return nil, err
	}
	if err := g.persistPolicy(); err != nil {
		g.SetPolicy(old)
		return nil, fmt.Errorf("%w (previous policy restored)", err)
	}
	return map[string]string{"policy_version": c.Policy.Version}, nil
}

// applyUsageCommand stores cross-site usage rows: {"rows": [...]}.
func (g *Gateway) applyUsageCommand(ctx context.Context, body json.RawMessage) (any, error) {
	var b struct {
		Rows []sqlite.RemoteUsage `json:"rows"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("gateway: usage: %w", err)
	}
	n, err := g.ApplyRemoteUsage(ctx, b.Rows)
	if err != nil {
		return nil, err
	}
	return map[string]int{"rows": n}, nil
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
	if len(text) > config.MaxBytes {
		return nil, fmt.Errorf("gateway: config: larger than %d bytes", config.MaxBytes)
	}
	var nc config.Config
	if err := config.DecodeStrict(text, &nc); err != nil {
		return nil, fmt.Errorf("gateway: config: %w", err)
	}
	old := g.running()
	if err := config.CheckLocalOnly(nc, old); err != nil {
		return nil, err
	}
	config.LocalOnly(&nc, old)
	nc.ApplyDefaults()
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
	if !config.SameYAML(old.Devices, nc.Devices) {
		if err := g.devices.Reopen(nc.Devices); err != nil {
			return nil, rollback(err) // Reopen has already reopened the old ones
		}
		applied = append(applied, "devices")
		undo = append(undo, func() {
			if err := g.devices.Reopen(old.Devices); err != nil {
				g.log.Error("gateway: previous devices not restored", "err", err)
			}
		})
	}
	if !config.SameYAML(old.Policy, nc.Policy) {
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
	if err := config.SaveApplied(g.cfg.DataDir, nc); err != nil {
		return nil, rollback(err)
	}
	restart := config.RestartNeeded(old, nc)
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
	g.desk.SetDedupe(dedupe)
	g.up.SetBatch(batchSize, batchWait)
}

// persistPolicy persists the policy now running: into the configuration
// last applied by a command (which may hold settings waiting for a
// restart), or else into the running configuration.
func (g *Gateway) persistPolicy() error {
	cur := g.running()
	c, ok, err := config.ReadApplied(g.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("gateway: persist policy: %w", err)
	}
	if !ok {
		c = cur
	}
	c.Policy = cur.Policy
	return config.SaveApplied(g.cfg.DataDir, c)
}

// useAppliedConfig replaces the configuration by the one last applied by a
// command, keeping the local-only settings of the file the gateway was
// started with. A persisted configuration that no longer validates (a
// driver removed by an update, say) is ignored with a log line.
func (g *Gateway) useAppliedConfig() {
	path := filepath.Join(g.cfg.DataDir, config.AppliedFile)
	nc, ok, err := config.ReadApplied(g.cfg.DataDir)
	if !ok && err == nil {
		return
	}
	if err == nil {
		config.LocalOnly(&nc, g.cfg)
		nc.ApplyDefaults()
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
