// Package alarm runs the cloud's side of the alarm workflow after an
// alert is stored: it notifies the people on the alert's ladder (raised,
// reminders, escalation, pressed again) through their channels, tells the
// kiosks of the site every change, raises and clears the supervision
// alerts of silent gateways, and feeds the console's live board.
//
// The rules are in cloud/domain (alert.go, escalation.go); this package
// only carries them out. Several cloud processes may run a Runner on one
// database: each step is claimed in the store (AdvanceEscalation,
// MarkAlertPushed), so it is done once.
package alarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/notify"
)

// Store is what the runner uses of the cloud's store.
type Store interface {
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]domain.Alert, error)
	AlarmLadder(ctx context.Context, site string) ([]domain.AlarmLevel, error)
	AdvanceEscalation(ctx context.Context, id string, prev, next domain.Escalation, log []domain.AlertLogEntry) (bool, error)
	AlertsToPush(ctx context.Context, limit int) ([]domain.Alert, error)
	MarkAlertPushed(ctx context.Context, id string, version int) (bool, error)
	AppendAlertLog(ctx context.Context, entries ...domain.AlertLogEntry) error
	SiteGateways(ctx context.Context, site string) ([]string, error)
	QueueCommand(ctx context.Context, c domain.Command) error
	SilentGateways(ctx context.Context, seenBefore time.Time) ([]domain.Gateway, error)
	SilenceEnded(ctx context.Context) ([]domain.Alert, error)
	RecordCloudAlert(ctx context.Context, e eldergate.Envelope) error
}

// Sender publishes a queued command to its gateway (followup.Commands).
type Sender interface {
	SendCommand(ctx context.Context, c domain.Command)
}

// Notifier queues a notification (notify.Dispatcher).
type Notifier interface {
	Send(ch notify.Channel, m notify.Message) error
}

// Config configures a Runner.
type Config struct {
	Store    Store
	Sender   Sender   // nil: kiosks are not told (a process with no broker)
	Notifier Notifier // nil: nothing is sent, the steps are still logged
	// ConsoleURL is the console's address for links in notifications,
	// e.g. "https://eldergate.example.cn/"; empty: no link.
	ConsoleURL string
	// Every is how often the runner looks for due work without a Wake;
	// default 500 ms.
	Every time.Duration
	// SilentAfter: a gateway last seen longer ago raises a supervision
	// alert; 0 = no silent-gateway supervision.
	SilentAfter time.Duration
	// SuperviseEvery is how often silent gateways are looked for (a scan
	// of the gateways); default 5 s.
	SuperviseEvery time.Duration
	Now            func() time.Time
	Logger         *slog.Logger
}

// Runner carries out due escalation steps and kiosk pushes. Start it
// with Start; Close stops it and waits.
type Runner struct {
	c    Config
	log  *slog.Logger
	wake chan struct{}
	// supervised is when silent gateways were last looked for (RunOnce's
	// goroutine only).
	supervised time.Time
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// New returns a runner of c, not started.
func New(c Config) (*Runner, error) {
	if c.Store == nil {
		return nil, errors.New("alarm: no store")
	}
	if c.Every <= 0 {
		c.Every = 500 * time.Millisecond
	}
	if c.SuperviseEvery <= 0 {
		c.SuperviseEvery = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{c: c, log: c.Logger.With("component", "alarm"), wake: make(chan struct{}, 1)}, nil
}

// Start runs the runner until Close.
func (r *Runner) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(r.c.Every)
		defer t.Stop()
		for {
			r.RunOnce(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-r.wake:
			}
		}
	}()
}

// Wake makes the runner look for work at once (an alert was stored or
// changed in this process). It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Close stops the runner and waits for it.
func (r *Runner) Close() {
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
}

// batch bounds the rows one pass takes of each kind of work.
const batch = 100

// RunOnce does the work due now: supervision of silent gateways (at
// most every SuperviseEvery), the escalation steps and the kiosk pushes.
// It is not safe for concurrent use: Start runs it on one goroutine;
// tests call it with an injected clock.
func (r *Runner) RunOnce(ctx context.Context) {
	if now := r.c.Now(); r.c.SilentAfter > 0 && now.Sub(r.supervised) >= r.c.SuperviseEvery {
		r.supervised = now
		r.superviseGateways(ctx)
	}
	for range 10 { // a backlog is worked off in a few passes, without starving the rest
		n, err := r.escalate(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("alarm: escalation", "err", err)
		}
		if n < batch {
			break
		}
	}
	if err := r.push(ctx); err != nil && ctx.Err() == nil {
		r.log.Error("alarm: kiosk push", "err", err)
	}
}

// escalate takes every due alert one step (PlanEscalation) and returns
// how many were due.
func (r *Runner) escalate(ctx context.Context) (int, error) {
	now := r.c.Now().UTC()
	due, err := r.c.Store.DueAlerts(ctx, now, batch)
	if err != nil {
		return 0, err
	}
	ladders := map[string][]domain.AlarmLevel{}
	for _, a := range due {
		ladder, ok := ladders[a.Site]
		if !ok {
			if ladder, err = r.c.Store.AlarmLadder(ctx, a.Site); err != nil {
				return len(due), err
			}
			ladders[a.Site] = ladder
		}
		act, next := domain.PlanEscalation(a, a.Escalation, ladder, now)
		var log []domain.AlertLogEntry
		if act != nil {
			for _, i := range act.Skipped {
				log = append(log, domain.AlertLogEntry{AlertID: a.ID, At: now, Kind: domain.AlertLogSkipped, Level: ladder[i].Unit, Detail: "off duty"})
			}
			if act.Step == domain.StepEscalated {
				log = append(log, domain.AlertLogEntry{AlertID: a.ID, At: now, Kind: domain.AlertLogEscalated, Level: ladder[act.Level].Unit})
			}
			log = append(log, domain.AlertLogEntry{AlertID: a.ID, At: now, Kind: domain.AlertLogNotified, Level: ladder[act.Level].Unit,
				Via: ladder[act.Level].Level, Detail: act.Step})
		}
		claimed, err := r.c.Store.AdvanceEscalation(ctx, a.ID, a.Escalation, next, log)
		if err != nil {
			return len(due), err
		}
		if !claimed || act == nil {
			continue
		}
		r.log.Warn("alarm: "+act.Step, "alert", a.ID, "site", a.Site, "level", ladder[act.Level].Unit, "channels", len(ladder[act.Level].Settings.Channels))
		r.notify(a, ladder, *act)
	}
	return len(due), nil
}

// notify queues the message of act to every channel of its level.
func (r *Runner) notify(a domain.Alert, ladder []domain.AlarmLevel, act domain.AlarmAction) {
	if r.c.Notifier == nil {
		return
	}
	lvl := ladder[act.Level]
	zone, _ := time.LoadLocation(ladder[0].Settings.TimeZone)
	if zone == nil {
		zone = time.UTC
	}
	m := notify.Message{AlertID: a.ID, Step: act.Step, Type: a.Type, Site: ladder[0].Name, Place: a.Place,
		Button: firstNonEmpty(a.ButtonName, a.Button), Level: lvl.Level, At: a.OpenedAt, Zone: zone,
		Link: r.link(a.ID), Detail: a.Reason}
	for _, ch := range lvl.Settings.Channels {
		if err := r.c.Notifier.Send(ch, m); err != nil {
			r.log.Error("alarm: notification not queued", "alert", a.ID, "channel", ch.ID, "err", err)
		}
	}
}

func (r *Runner) link(id string) string {
	if r.c.ConsoleURL == "" {
		return ""
	}
	return strings.TrimSuffix(r.c.ConsoleURL, "/") + "/#alert=" + id
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// RecordDelivery appends a notification attempt to its alert's timeline
// (notify.Config.Record).
func (r *Runner) RecordDelivery(d notify.Delivery) {
	detail := "ok"
	if !d.OK {
		detail = d.Error
	}
	if !d.Final && !d.OK {
		detail = fmt.Sprintf("attempt %d: %s; retrying", d.Attempt, detail)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.c.Store.AppendAlertLog(ctx, domain.AlertLogEntry{AlertID: d.AlertID, At: d.At.UTC(), Kind: domain.AlertLogDelivery,
		By: d.ChannelID, Via: string(d.Kind), Level: d.Level, Detail: detail}); err != nil {
		r.log.Error("alarm: delivery not recorded", "alert", d.AlertID, "channel", d.ChannelID, "err", err)
	}
}

// push tells the gateways of each changed alert's site its new state (an
// alert command each).
func (r *Runner) push(ctx context.Context) error {
	if r.c.Sender == nil {
		return nil
	}
	changed, err := r.c.Store.AlertsToPush(ctx, batch)
	if err != nil {
		return err
	}
	now := r.c.Now().UTC()
	for _, a := range changed {
		ok, err := r.c.Store.MarkAlertPushed(ctx, a.ID, a.Version)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		body, err := json.Marshal(Update(a))
		if err != nil {
			return fmt.Errorf("alarm: encode alert %s: %w", a.ID, err)
		}
		gws, err := r.c.Store.SiteGateways(ctx, a.Site)
		if err != nil {
			return err
		}
		for _, gw := range gws {
			cmd, err := domain.NewCommand(gw, eldergate.CmdAlert, body, now, eldergate.AlertUpdateTTL)
			if err != nil {
				return err
			}
			if err := r.c.Store.QueueCommand(ctx, cmd); err != nil {
				return err
			}
			r.c.Sender.SendCommand(ctx, cmd)
		}
	}
	return nil
}

// Update is the alert command body of a.
func Update(a domain.Alert) eldergate.AlertUpdate {
	return eldergate.AlertUpdate{AlertID: a.ID, GW: a.GW, GWAlertID: a.GWAlertID, State: string(a.State), Type: a.Type,
		Button: a.Button, ButtonName: a.ButtonName, Place: a.Place, Reason: a.Reason, Presses: a.Presses, OpenedAt: a.OpenedAt,
		AckedAt: a.AckedAt, AckedBy: a.AckedBy, AckedVia: string(a.AckedVia), PressedAgainAt: a.PressedAgainAt,
		ClosedAt: a.ClosedAt, Outcome: string(a.Outcome)}
}

// superviseGateways raises a supervision alert for every gateway silent
// longer than SilentAfter, and clears those whose gateway is back.
func (r *Runner) superviseGateways(ctx context.Context) {
	now := r.c.Now().UTC()
	silent, err := r.c.Store.SilentGateways(ctx, now.Add(-r.c.SilentAfter))
	if err != nil {
		r.log.Error("alarm: silent gateways", "err", err)
		return
	}
	for _, g := range silent {
		r.log.Warn("alarm: gateway silent, supervision alert raised", "gw", g.ID, "site", g.Site, "silent_for_more_than", r.c.SilentAfter)
		r.recordCloudAlert(ctx, g.ID, g.Site, "silent-"+g.ID, eldergate.AlertRaised, now)
	}
	back, err := r.c.Store.SilenceEnded(ctx)
	if err != nil {
		r.log.Error("alarm: silence ended", "err", err)
		return
	}
	for _, a := range back {
		r.log.Info("alarm: gateway back, supervision alert cleared", "gw", a.GW, "alert", a.ID)
		r.recordCloudAlert(ctx, a.GW, a.Site, a.GWAlertID, eldergate.AlertCleared, now)
	}
}

func (r *Runner) recordCloudAlert(ctx context.Context, gw, site, alertID, action string, now time.Time) {
	id, err := uuid.NewV7()
	if err != nil {
		r.log.Error("alarm: event id", "err", err)
		return
	}
	data, _ := json.Marshal(eldergate.AlertData{AlertID: alertID, Action: action, Type: eldergate.AlertTypeSupervision,
		Button: "gateway", ButtonName: gw, Reason: eldergate.SuperviseGatewaySilent})
	e := eldergate.Envelope{ID: id.String(), Kind: eldergate.KindAlert, GW: gw, Site: site, At: now, Clock: eldergate.ClockSynced, Data: data}
	if err := r.c.Store.RecordCloudAlert(ctx, e); err != nil {
		r.log.Error("alarm: supervision alert not recorded", "gw", gw, "action", action, "err", err)
	}
}
