// Package followup is the one owner of what the cloud does about the
// commands it sends gateways: it publishes a queued command, publishes a
// gateway's pending commands again at its birth (and queues the site's
// menu to a gateway that has not had it), and follows up on each
// command's result (a roster delta refused with full_roster_needed is
// answered with the full roster; a configuration result moves the
// desired configuration out of "pending").
//
// Every process that ingests runs one (`eldergate-cloud serve` and each
// `eldergate-cloud ingest`): births and results reach whichever ingester
// the broker hands them to, so each must follow up
// (docs/adr/0009-command-follow-ups.md). Every step is idempotent: a
// result arrives twice (its quick copy on cmdres and its outbox event),
// and a birth reaches every ingester.
package followup

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/rosterpush"
	"github.com/eldergate/eldergate/cloud/sitepush"
)

// Publisher publishes a payload on a topic with QoS 1 and waits for the
// broker (ingest.Ingester.Publish).
type Publisher interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// Store is what the follow-ups use of the cloud's store: the commands,
// the roster versions of each gateway (with what a roster push needs) and
// the desired configurations.
type Store interface {
	rosterpush.Store
	sitepush.MenuStore
	GatewayCredential(ctx context.Context, id string) (domain.GatewayCredential, error)
	PendingCommands(ctx context.Context, gw string, now time.Time) ([]domain.Command, error)
	MarkCommandSent(ctx context.Context, id string, at time.Time) error
	RosterCommand(ctx context.Context, id string) (version uint64, found bool, err error)
	ClaimRosterResult(ctx context.Context, id string) (bool, error)
	ConfirmGatewayRoster(ctx context.Context, gw string, version uint64, at time.Time) error
	ResetGatewayRoster(ctx context.Context, gw string, have uint64) error
	ReportGatewayRoster(ctx context.Context, gw string, rep eldergate.RosterReport, boot uint64, at time.Time) error
	RecordDesiredResult(ctx context.Context, gw, commandID string, ok bool, errText string, at time.Time) (matched bool, err error)
	FailUpdateCommand(ctx context.Context, gw, commandID, errText string, at time.Time) (matched bool, err error)
}

// Config configures Commands.
type Config struct {
	Store Store
	// Publisher publishes commands; it may be set later with
	// SetPublisher (the ingester that publishes is built with the hooks
	// of Commands).
	Publisher Publisher
	Logger    *slog.Logger
	Now       func() time.Time
}

// Commands publishes commands and follows up on births and results. It
// implements cloudhttp.CommandSender and rosterpush.Sender.
type Commands struct {
	store Store
	pub   Publisher
	log   *slog.Logger
	now   func() time.Time
}

// New returns the follow-ups of cfg.
func New(cfg Config) (*Commands, error) {
	if cfg.Store == nil {
		return nil, errors.New("followup: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Commands{store: cfg.Store, pub: cfg.Publisher, log: cfg.Logger.With("component", "followup"), now: cfg.Now}, nil
}

// SetPublisher sets the publisher. It must be called before the first
// command is sent or hook runs (before the ingester starts).
func (c *Commands) SetPublisher(p Publisher) { c.pub = p }

// PublishTimeout bounds one command publication.
const PublishTimeout = 5 * time.Second

// SendCommand publishes command cmd on eg/v1/gw/{gw}/cmd and records it
// as sent. A failure leaves it pending: it is published again at the
// gateway's next birth. The gateway runs a command id once (it keeps
// results by id), so a command sent twice is answered from its stored
// result.
func (c *Commands) SendCommand(ctx context.Context, cmd domain.Command) {
	if c.pub == nil {
		c.log.Warn("followup: no publisher; the command is sent at the gateway's next birth", "gw", cmd.GW, "command", cmd.ID)
		return
	}
	payload, err := json.Marshal(eldergate.Command{ID: cmd.ID, Type: cmd.Type, Expires: cmd.ExpiresAt, Body: cmd.Body})
	if err != nil {
		c.log.Error("followup: encode command", "gw", cmd.GW, "command", cmd.ID, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), PublishTimeout)
	defer cancel()
	if err := c.pub.Publish(ctx, eldergate.Topic(cmd.GW, eldergate.ChannelCmd), payload); err != nil {
		c.log.Warn("followup: command not published; it is sent again at the gateway's next birth", "gw", cmd.GW, "command", cmd.ID, "err", err)
		return
	}
	if err := c.store.MarkCommandSent(ctx, cmd.ID, c.now().UTC()); err != nil {
		c.log.Error("followup: mark command sent", "gw", cmd.GW, "command", cmd.ID, "err", err)
		return
	}
	c.log.Info("followup: command published", "gw", cmd.GW, "command", cmd.ID, "type", cmd.Type)
}

// OnBirth publishes the pending commands of gw again, then queues and
// publishes the site's menu when gw is due it (a gateway born or enrolled
// after the menu was set, or whose menu command expired unanswered:
// sitepush.MenuAtBirth) (ingest.Config.OnBirth).
func (c *Commands) OnBirth(ctx context.Context, gw string) {
	now := c.now().UTC()
	pending, err := c.store.PendingCommands(ctx, gw, now)
	if err != nil {
		c.log.Error("followup: pending commands", "gw", gw, "err", err)
		return
	}
	for _, cmd := range pending {
		c.SendCommand(ctx, cmd)
	}
	cred, err := c.store.GatewayCredential(ctx, gw)
	if err != nil {
		c.log.Error("followup: birth: gateway", "gw", gw, "err", err)
		return
	}
	cmd, err := sitepush.MenuAtBirth(ctx, c.store, c, now, gw, cred.Site)
	if err != nil {
		c.log.Error("followup: birth: menu", "gw", gw, "err", err)
		return
	}
	if cmd != nil {
		c.log.Info("followup: birth: the site's menu queued", "gw", gw, "site", cred.Site, "command", cmd.ID)
	}
	c.rosterAtBirth(ctx, gw, cred.Site, now)
}

// rosterAtBirth brings a gateway born with another roster than its site's
// to the site's (ADR 0025): a gateway never sent one (new, or running its
// local seed) gets the full roster, one behind gets the delta. A gateway
// that reports a lower version than it confirmed (its data was lost) is
// sent what it needs from the version it has. Nothing when the site has no
// roster in the cloud: the gateway keeps its local seed.
func (c *Commands) rosterAtBirth(ctx context.Context, gw, site string, now time.Time) {
	g, err := c.store.GatewayRoster(ctx, gw)
	if err != nil {
		c.log.Error("followup: birth: roster", "gw", gw, "err", err)
		return
	}
	if g.Reported != nil && g.Reported.Version < g.Confirmed {
		if err := c.store.ResetGatewayRoster(ctx, gw, g.Reported.Version); err != nil {
			c.log.Error("followup: birth: roster", "gw", gw, "err", err)
			return
		}
	}
	cmd, err := rosterpush.Gateway(ctx, c.store, c, now, gw, site, false)
	if err != nil {
		c.log.Error("followup: birth: roster", "gw", gw, "err", err)
		return
	}
	if cmd != nil {
		c.log.Info("followup: birth: the site's roster queued", "gw", gw, "site", site, "command", cmd.ID)
	}
}

// OnCommandResult follows up on result r of a command of gw, stored by the
// ingester (ingest.Config.OnCommandResult): the roster and configuration
// follow-ups each act on their own commands and ignore the others.
func (c *Commands) OnCommandResult(ctx context.Context, gw string, r eldergate.CommandResult) {
	c.rosterResult(ctx, gw, r)
	c.configResult(ctx, gw, r)
	c.updateResult(ctx, gw, r)
}

// updateResult follows up on the result of an ota command: a refusal
// (ok:false, e.g. a signature the gateway does not trust) ends the
// update as failed with the gateway's error; the steps of an accepted
// one arrive as update events. Results of other commands match no
// update and are ignored.
func (c *Commands) updateResult(ctx context.Context, gw string, r eldergate.CommandResult) {
	if r.OK {
		return
	}
	matched, err := c.store.FailUpdateCommand(ctx, gw, r.ID, r.Error, c.now().UTC())
	if err != nil {
		c.log.Error("followup: update command result", "gw", gw, "command", r.ID, "err", err)
		return
	}
	if matched {
		c.log.Info("followup: update refused by the gateway", "gw", gw, "command", r.ID, "err", r.Error)
	}
}

// rosterResult follows up on the result of a roster command: an ok result
// records the version the gateway confirmed; a refused delta
// (full_roster_needed) queues a full roster for that gateway, once per
// command however often the result arrives.
func (c *Commands) rosterResult(ctx context.Context, gw string, r eldergate.CommandResult) {
	version, found, err := c.store.RosterCommand(ctx, r.ID)
	if err != nil {
		c.log.Error("followup: roster result", "gw", gw, "command", r.ID, "err", err)
		return
	}
	if !found {
		return // not a roster command
	}
	now := c.now().UTC()
	if r.OK {
		if err := c.store.ConfirmGatewayRoster(ctx, gw, version, now); err != nil {
			c.log.Error("followup: confirm roster", "gw", gw, "command", r.ID, "err", err)
		}
		// The result says what the gateway runs now (ADR 0025).
		var res struct {
			Version uint64 `json:"version"`
			Elders  int    `json:"elders"`
		}
		if json.Unmarshal(r.Body, &res) != nil || res.Version != version {
			return // not a result this cloud's gateways send: the next birth says
		}
		rep := eldergate.RosterReport{Source: eldergate.RosterSourceCloud, Version: version, Elders: res.Elders}
		if !rep.Valid() {
			return
		}
		if err := c.store.ReportGatewayRoster(ctx, gw, rep, 0, now); err != nil {
			c.log.Error("followup: roster result", "gw", gw, "command", r.ID, "err", err)
		}
		return
	}
	var body struct {
		Version          uint64 `json:"version"`
		FullRosterNeeded bool   `json:"full_roster_needed"`
	}
	if len(r.Body) == 0 || json.Unmarshal(r.Body, &body) != nil || !body.FullRosterNeeded {
		c.log.Warn("followup: roster command failed", "gw", gw, "command", r.ID, "error", r.Error)
		return
	}
	first, err := c.store.ClaimRosterResult(ctx, r.ID)
	if err != nil || !first {
		if err != nil {
			c.log.Error("followup: roster result", "gw", gw, "command", r.ID, "err", err)
		}
		return
	}
	cred, err := c.store.GatewayCredential(ctx, gw)
	if err != nil {
		c.log.Error("followup: roster result: gateway", "gw", gw, "err", err)
		return
	}
	if err := c.store.ResetGatewayRoster(ctx, gw, body.Version); err != nil {
		c.log.Error("followup: roster result", "gw", gw, "err", err)
		return
	}
	cmd, err := rosterpush.Gateway(ctx, c.store, c, now, gw, cred.Site, true)
	if err != nil {
		c.log.Error("followup: full roster", "gw", gw, "err", err)
		return
	}
	if cmd != nil {
		c.log.Info("followup: delta refused, full roster queued", "gw", gw, "has", body.Version, "command", cmd.ID)
	}
}

// configResult follows up on the result of a config command: the result
// of a desired configuration's command is recorded on that version; an ok
// result of the latest version confirms its checksum as reported before
// the gateway's next birth, a failure keeps the gateway's error for the
// status. Results of other commands match no version and are ignored.
func (c *Commands) configResult(ctx context.Context, gw string, r eldergate.CommandResult) {
	matched, err := c.store.RecordDesiredResult(ctx, gw, r.ID, r.OK, r.Error, c.now().UTC())
	if err != nil {
		c.log.Error("followup: desired config result", "gw", gw, "command", r.ID, "err", err)
		return
	}
	if matched {
		c.log.Info("followup: desired config result", "gw", gw, "command", r.ID, "ok", r.OK, "err", r.Error)
	}
}
