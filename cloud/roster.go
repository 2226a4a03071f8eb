package cloud

import (
	"context"
	"encoding/json"

	"github.com/eldergate/eldergate"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
)

// rosterResult follows up on the result of a roster command: an ok result
// records the version the gateway confirmed; a refused delta
// (full_roster_needed) queues a full roster for that gateway, once per
// command however often the result arrives.
func (c *Cloud) rosterResult(ctx context.Context, gw string, r eldergate.CommandResult) {
	version, found, err := c.store.RosterCommand(ctx, r.ID)
	if err != nil {
		c.log.Error("cloud: roster result", "gw", gw, "command", r.ID, "err", err)
		return
	}
	if !found {
		return // not a roster command
	}
	now := c.cfg.Now().UTC()
	if r.OK {
		if err := c.store.ConfirmGatewayRoster(ctx, gw, version, now); err != nil {
			c.log.Error("cloud: confirm roster", "gw", gw, "command", r.ID, "err", err)
		}
		return
	}
	var body struct {
		Version          uint64 `json:"version"`
		FullRosterNeeded bool   `json:"full_roster_needed"`
	}
	if len(r.Body) == 0 || json.Unmarshal(r.Body, &body) != nil || !body.FullRosterNeeded {
		c.log.Warn("cloud: roster command failed", "gw", gw, "command", r.ID, "error", r.Error)
		return
	}
	first, err := c.store.ClaimRosterResult(ctx, r.ID)
	if err != nil || !first {
		if err != nil {
			c.log.Error("cloud: roster result", "gw", gw, "command", r.ID, "err", err)
		}
		return
	}
	cred, err := c.store.GatewayCredential(ctx, gw)
	if err != nil {
		c.log.Error("cloud: roster result: gateway", "gw", gw, "err", err)
		return
	}
	if err := c.store.ResetGatewayRoster(ctx, gw, body.Version); err != nil {
		c.log.Error("cloud: roster result", "gw", gw, "err", err)
		return
	}
	var sender cloudhttp.CommandSender
	if c.cmds != nil {
		sender = c.cmds
	}
	cmd, err := cloudhttp.PushRoster(ctx, c.store, sender, now, gw, cred.Site, true)
	if err != nil {
		c.log.Error("cloud: full roster", "gw", gw, "err", err)
		return
	}
	if cmd != nil {
		c.log.Info("cloud: delta refused, full roster queued", "gw", gw, "has", body.Version, "command", cmd.ID)
	}
}
