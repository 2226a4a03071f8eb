package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// Commands from the cloud (eg/v1/gw/{gw}/cmd).
//
// One owned goroutine handles them one at a time. Every command gets one
// result, stored by command id with the cmdres outbox event that carries
// it: the outbox is the durable path to the cloud (application ack, kept
// while offline), and the result is also published at once on
// eg/v1/gw/{gw}/cmdres when the broker is up (the fast path). A command
// delivered again is answered with the stored result and not applied
// again. See docs/adr/0004-commands-and-roster.md.

// commandQueue bounds the commands waiting; more are dropped with a log
// line (the cloud sends a command again when no result comes).
const commandQueue = 4

// maxResultError bounds the error text of a result, so that a result
// always fits an event (eldergate.MaxEventBytes).
const maxResultError = 2000

// cmdState is the state of the command handler.
type cmdState struct {
	queue   chan []byte
	run     sync.Mutex // one command at a time
	devMu   sync.RWMutex
	restart func() // WithRestart
	devRun  *deviceRun
}

// WithRestart sets what a reboot command does once its result is
// recorded: typically cancel the daemon's context so that main returns
// and systemd starts the gateway again. Without it a reboot command fails.
func WithRestart(fn func()) Option { return func(g *Gateway) { g.cmd.restart = fn } }

// enqueueCommand is the uplink's OnCommand: it never blocks paho.
func (g *Gateway) enqueueCommand(payload []byte) {
	select {
	case g.cmd.queue <- payload:
	default:
		g.log.Warn("gateway: command queue full, command dropped", "bytes", len(payload))
	}
}

// runCommands handles queued commands until ctx is done.
func (g *Gateway) runCommands(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-g.cmd.queue:
			g.HandleCommand(ctx, p)
		}
	}
}

// HandleCommand handles one command payload as received on the cmd topic
// and returns its result, which it has also recorded and sent. Commands
// are handled one at a time. A payload without a usable id gets no result
// (there is nothing to answer to) and returns one with an empty id.
func (g *Gateway) HandleCommand(ctx context.Context, payload []byte) eldergate.CommandResult {
	g.cmd.run.Lock()
	defer g.cmd.run.Unlock()
	now := g.now().UTC()
	c, err := eldergate.DecodeCommand(payload)
	if c.ID == "" {
		g.log.Warn("gateway: command ignored", "err", err, "bytes", len(payload))
		return eldergate.CommandResult{OK: false, Error: fmt.Sprint(err)}
	}
	if stored, ok, serr := g.store.CommandResult(ctx, c.ID); serr != nil {
		g.log.Error("gateway: command lookup", "id", c.ID, "err", serr)
		return eldergate.CommandResult{ID: c.ID, Error: "gateway: store unavailable"} // not recorded: the cloud retries
	} else if ok {
		g.log.Info("gateway: command already handled, answered again", "id", c.ID, "type", stored.Type, "ok", stored.Result.OK)
		g.publishResult(stored.Result)
		return stored.Result
	}
	var body any
	var before eldergate.State
	if reportsConfig(c.Type) {
		before = g.reported() // reported.go
	}
	switch {
	case err != nil:
	case !now.Before(c.Expires):
		err = fmt.Errorf("gateway: command expired at %s (gateway clock %s)", c.Expires.Format(time.RFC3339), now.Format(time.RFC3339))
	default:
		body, err = g.execute(ctx, c)
	}
	res := eldergate.CommandResult{ID: c.ID, OK: err == nil}
	if err != nil {
		res.Error = err.Error()
		if len(res.Error) > maxResultError {
			res.Error = res.Error[:maxResultError] + "…"
		}
	}
	if body != nil {
		if raw, merr := json.Marshal(body); merr == nil {
			res.Body = raw
		}
	}
	g.log.Info("gateway: command handled", "id", c.ID, "type", c.Type, "ok", res.OK, "err", res.Error)
	if err := g.recordResult(ctx, c, res, now); err != nil {
		g.log.Error("gateway: command result not recorded", "id", c.ID, "err", err)
	}
	g.publishResult(res)
	if reportsConfig(c.Type) && res.OK {
		g.rebirthIfChanged(before)
	}
	if c.Type == eldergate.CmdReboot && res.OK {
		g.log.Warn("gateway: restarting on the cloud's command", "id", c.ID)
		g.cmd.restart()
	}
	return res
}

// recordResult commits the cmdres event to the outbox, then stores the
// result by command id.
func (g *Gateway) recordResult(ctx context.Context, c eldergate.Command, res eldergate.CommandResult, at time.Time) error {
	env, err := g.envelope(eldergate.KindCmdRes, at, res)
	if err != nil {
		return err
	}
	if _, err := g.store.Commit(ctx, env, nil); err != nil {
		return fmt.Errorf("gateway: command result: %w", err)
	}
	g.up.Notify()
	typ := c.Type
	if typ == "" {
		typ = "invalid"
	}
	if err := g.store.RecordCommand(ctx, typ, res, env.ID, at); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return nil
}

func (g *Gateway) publishResult(res eldergate.CommandResult) {
	if err := g.up.PublishResult(res); err != nil {
		g.log.Debug("gateway: command result not published now, the outbox carries it", "id", res.ID, "err", err)
	}
}

// execute applies one valid, unexpired command and returns its result body.
func (g *Gateway) execute(ctx context.Context, c eldergate.Command) (any, error) {
	switch c.Type {
	case eldergate.CmdPing:
		return eldergate.PingResult{GatewayID: g.cfg.GatewayID, Boot: g.store.Boot(), Version: g.version, Time: g.now().UTC()}, nil
	case eldergate.CmdReboot:
		if g.cmd.restart == nil {
			return nil, errors.New("gateway: reboot: this process has no restart hook")
		}
		return map[string]bool{"restarting": true}, nil
	case eldergate.CmdRoster:
		return g.applyRoster(ctx, c.Body)
	case eldergate.CmdPolicy:
		return g.applyPolicyCommand(c.Body)
	case eldergate.CmdConfig:
		return g.applyConfigCommand(ctx, c.Body)
	case eldergate.CmdUsage:
		return g.applyUsageCommand(ctx, c.Body)
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
	var c Config // c.Policy has the configuration's policy type
	if err := decodeStrict(text, &c.Policy); err != nil {
		return nil, fmt.Errorf("gateway: policy: %w", err)
	}
	old := g.snapshot().Policy
	if err := g.SetPolicy(c.Policy); err != nil { // validates first (policy.go)
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
	n, err := g.ApplyRemoteUsage(ctx, b.Rows) // policy.go
	if err != nil {
		return nil, err
	}
	return map[string]int{"rows": n}, nil
}

// decodeStrict decodes YAML (or JSON) text into v; unknown keys are errors.
func decodeStrict(text []byte, v any) error {
	dec := yaml.NewDecoder(bytesReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return err
	}
	return nil
}
