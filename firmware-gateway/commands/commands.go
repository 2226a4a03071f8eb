// Package commands handles the commands from the cloud
// (eg/v1/gw/{gw}/cmd) one at a time.
//
// Every command gets one result, stored by command id with the cmdres
// outbox event that carries it: the outbox is the durable path to the
// cloud (application ack, kept while offline), and the result is also
// published at once on eg/v1/gw/{gw}/cmdres when the broker is up (the
// fast path). A command delivered again is answered with the stored
// result and not applied again. See docs/adr/0004-commands-and-roster.md.
//
// What a command does is the Executor's business; the handler keeps the
// rules common to all: decoding, expiry, idempotency, the result, the
// fresh birth after a change of what the gateway reports (config,
// policy, roster and menu versions), and the restart after a reboot
// command.
package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// queueLen bounds the commands waiting; more are dropped with a log line
// (the cloud sends a command again when no result comes).
const queueLen = 4

// maxResultError bounds the error text of a result, so that a result
// always fits an event (eldergate.MaxEventBytes).
const maxResultError = 2000

// Store is what the handler needs of the gateway's store.
type Store interface {
	CommandResult(ctx context.Context, id string) (sqlite.StoredCommand, bool, error)
	RecordCommand(ctx context.Context, typ string, res eldergate.CommandResult, eventID string, at time.Time) error
	Commit(ctx context.Context, env eldergate.Envelope, meal *sqlite.Meal) (eldergate.Envelope, error)
}

// Envelopes wraps event data into an envelope.
type Envelopes interface {
	New(kind eldergate.Kind, at time.Time, data any) (eldergate.Envelope, error)
}

// Uplink is the fast path of results and the outbox's doorbell.
type Uplink interface {
	PublishResult(eldergate.CommandResult) error
	Notify()
}

// Executor applies one valid, unexpired command (any type but reboot)
// and returns its result body.
type Executor interface {
	Execute(ctx context.Context, c eldergate.Command) (any, error)
}

// Alerts takes the cloud's state of an alert of the site (command
// alert) and reports whether it changed what the kiosk shows.
type Alerts interface {
	ApplyUpdate(u eldergate.AlertUpdate) bool
}

// AlertResult is the body of the result of an alert command.
type AlertResult struct {
	AlertID string `json:"alert_id"`
	Applied bool   `json:"applied"` // false: the gateway knew a later state (or it was closed here already)
}

// Config is what a Handler is made of.
type Config struct {
	Store     Store
	Envelopes Envelopes
	Uplink    Uplink
	Executor  Executor
	Alerts    Alerts // command alert; nil: refused
	// Reported is what the birth reports; Rebirth publishes a fresh birth
	// when it differs from before (after config, policy, roster, menu commands).
	Reported func() eldergate.State
	Rebirth  func(before eldergate.State)
	// Restart is what a reboot command does once its result is recorded;
	// nil: a reboot command fails.
	Restart func()
	Now     func() time.Time
	Log     *slog.Logger
}

// Handler handles commands one at a time.
type Handler struct {
	c     Config
	queue chan []byte
	run   sync.Mutex // one command at a time
}

// New returns a handler.
func New(c Config) *Handler {
	return &Handler{c: c, queue: make(chan []byte, queueLen)}
}

// Enqueue is the uplink's OnCommand: it never blocks paho.
func (h *Handler) Enqueue(payload []byte) {
	select {
	case h.queue <- payload:
	default:
		h.c.Log.Warn("gateway: command queue full, command dropped", "bytes", len(payload))
	}
}

// Run handles queued commands until ctx is done.
func (h *Handler) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-h.queue:
			h.Handle(ctx, p)
		}
	}
}

// Handle handles one command payload as received on the cmd topic and
// returns its result, which it has also recorded and sent. A payload
// without a usable id gets no result (there is nothing to answer to) and
// returns one with an empty id.
func (h *Handler) Handle(ctx context.Context, payload []byte) eldergate.CommandResult {
	h.run.Lock()
	defer h.run.Unlock()
	log := h.c.Log
	now := h.c.Now().UTC()
	c, err := eldergate.DecodeCommand(payload)
	if c.ID == "" {
		log.Warn("gateway: command ignored", "err", err, "bytes", len(payload))
		return eldergate.CommandResult{OK: false, Error: fmt.Sprint(err)}
	}
	if stored, ok, serr := h.c.Store.CommandResult(ctx, c.ID); serr != nil {
		log.Error("gateway: command lookup", "id", c.ID, "err", serr)
		return eldergate.CommandResult{ID: c.ID, Error: "gateway: store unavailable"} // not recorded: the cloud retries
	} else if ok {
		log.Info("gateway: command already handled, answered again", "id", c.ID, "type", stored.Type, "ok", stored.Result.OK)
		h.publish(stored.Result)
		return stored.Result
	}
	var body any
	var before eldergate.State
	if reportsConfig(c.Type) {
		before = h.c.Reported()
	}
	switch {
	case err != nil:
	case !now.Before(c.Expires):
		err = fmt.Errorf("gateway: command expired at %s (gateway clock %s)", c.Expires.Format(time.RFC3339), now.Format(time.RFC3339))
	case c.Type == eldergate.CmdReboot:
		body, err = h.reboot()
	case c.Type == eldergate.CmdAlert:
		body, err = h.alert(c.Body)
	default:
		body, err = h.c.Executor.Execute(ctx, c)
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
	log.Info("gateway: command handled", "id", c.ID, "type", c.Type, "ok", res.OK, "err", res.Error)
	if err := h.record(ctx, c, res, now); err != nil {
		log.Error("gateway: command result not recorded", "id", c.ID, "err", err)
	}
	h.publish(res)
	if reportsConfig(c.Type) && res.OK {
		h.c.Rebirth(before)
	}
	if c.Type == eldergate.CmdReboot && res.OK {
		log.Warn("gateway: restarting on the cloud's command", "id", c.ID)
		h.c.Restart()
	}
	return res
}

func (h *Handler) reboot() (any, error) {
	if h.c.Restart == nil {
		return nil, errors.New("gateway: reboot: this process has no restart hook")
	}
	return map[string]bool{"restarting": true}, nil
}

// alert hands the cloud's state of an alert to the alarms. An older
// state than the one shown is no error: the result says not applied.
func (h *Handler) alert(body json.RawMessage) (any, error) {
	if h.c.Alerts == nil {
		return nil, errors.New("gateway: alert: this gateway has no alarms")
	}
	u, err := eldergate.DecodeAlertUpdate(body)
	if err != nil {
		return nil, fmt.Errorf("gateway: alert: %w", err)
	}
	return AlertResult{AlertID: u.AlertID, Applied: h.c.Alerts.ApplyUpdate(u)}, nil
}

// record commits the cmdres event to the outbox, then stores the result
// by command id.
func (h *Handler) record(ctx context.Context, c eldergate.Command, res eldergate.CommandResult, at time.Time) error {
	env, err := h.c.Envelopes.New(eldergate.KindCmdRes, at, res)
	if err != nil {
		return err
	}
	if _, err := h.c.Store.Commit(ctx, env, nil); err != nil {
		return fmt.Errorf("commands: result: %w", err)
	}
	h.c.Uplink.Notify()
	typ := c.Type
	if typ == "" {
		typ = "invalid"
	}
	if err := h.c.Store.RecordCommand(ctx, typ, res, env.ID, at); err != nil {
		return fmt.Errorf("commands: %w", err)
	}
	return nil
}

func (h *Handler) publish(res eldergate.CommandResult) {
	if err := h.c.Uplink.PublishResult(res); err != nil {
		h.c.Log.Debug("gateway: command result not published now, the outbox carries it", "id", res.ID, "err", err)
	}
}

// reportsConfig says whether a command of type typ may change what the
// birth reports.
func reportsConfig(typ string) bool {
	return typ == eldergate.CmdConfig || typ == eldergate.CmdPolicy || typ == eldergate.CmdRoster || typ == eldergate.CmdMenu
}
