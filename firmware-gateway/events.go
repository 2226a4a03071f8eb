package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// SSE event names.
const (
	EventTap    = "tap"
	EventAlert  = "alert"
	EventWeight = "weight"
)

// TapEvent is the data of the SSE "tap" event. Personal data is masked.
type TapEvent struct {
	EventID    string        `json:"event_id,omitempty"` // empty when nothing could be recorded
	Decision   string        `json:"decision"`
	Reason     string        `json:"reason"`
	Window     string        `json:"window,omitempty"`
	PriceFen   eldergate.Fen `json:"price_fen"`
	SubsidyFen eldergate.Fen `json:"subsidy_fen"`
	PayFen     eldergate.Fen `json:"pay_fen"`
	// DiscountFen is taken off after the subsidy: pay = price - subsidy - discount.
	DiscountFen eldergate.Fen `json:"discount_fen,omitempty"`
	WeightG     int64         `json:"weight_g,omitempty"`
	ElderName   string        `json:"elder_name,omitempty"` // eldergate.MaskName
	Card        string        `json:"card"`                 // eldergate.MaskID
	At          time.Time     `json:"at"`
}

// AlertEvent is the data of the SSE "alert" event.
type AlertEvent struct {
	EventID string    `json:"event_id,omitempty"`
	AlertID string    `json:"alert_id"`
	Action  string    `json:"action"` // raised | cancelled
	Button  string    `json:"button"`
	At      time.Time `json:"at"`
}

// WeightEvent is the data of the SSE "weight" event.
type WeightEvent struct {
	Grams int64       `json:"grams"`
	State scale.State `json:"state"`
}

// ReasonSystemError is shown when a tap could not be decided or recorded.
const ReasonSystemError = "system_error"

// UnknownCardData is the data of the audit event recorded for a tap of a
// card that is not on the roster.
type UnknownCardData struct {
	Type       string `json:"type"` // "tap_refused"
	Decision   string `json:"decision"`
	Reason     string `json:"reason"`
	Credential string `json:"credential"` // masked
	Reader     string `json:"reader"`
}

func (g *Gateway) envelope(kind eldergate.Kind, at time.Time, data any) (eldergate.Envelope, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return eldergate.Envelope{}, fmt.Errorf("gateway: event id: %w", err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return eldergate.Envelope{}, fmt.Errorf("gateway: encode %s data: %w", kind, err)
	}
	return eldergate.Envelope{
		ID:    id.String(),
		Kind:  kind,
		GW:    g.cfg.GatewayID,
		Site:  g.cfg.Site,
		Boot:  g.store.Boot(),
		At:    at.UTC(),
		Clock: g.clockState(), // of the stamp that gave at (clock.go)
		Data:  raw,
	}, nil
}

// duplicate reports whether cred was already seen within the dedupe
// window before at. A card held on the reader stays one tap.
func (g *Gateway) duplicate(cred string, at time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	last, ok := g.lastSeen[cred]
	g.lastSeen[cred] = at
	for c, t := range g.lastSeen {
		if at.Sub(t) > g.cfg.TapDedupe {
			delete(g.lastSeen, c)
		}
	}
	d := at.Sub(last)
	return ok && d >= 0 && d < g.cfg.TapDedupe
}

// onRead handles one card read: dedupe, roster lookup, decision, one
// transaction, then the kiosk. Reads are handled one at a time (the
// reader's Run calls it sequentially), so usage cannot race.
func (g *Gateway) onRead(rd card.Read) {
	at := rd.At
	if at.IsZero() {
		at = g.now()
	}
	at = at.UTC()
	masked := eldergate.MaskID(rd.Credential)
	if g.duplicate(rd.Credential, at) {
		g.log.Debug("gateway: duplicate read ignored", "card", masked)
		return
	}
	at, _ = g.stamp(at) // never below the highest time seen (clock.go)

	if g.staffCardTap(rd) { // a staff card opens the staff panel (staff.go)
		return
	}
	// tap, serialised with manual meals, refused while the disk is full,
	// timed and counted (disk.go); errors become system_error/disk_full.
	ev := g.guardedTap(g.runCtx, rd, at)
	g.http.Publish(EventTap, ev)
}

func (g *Gateway) tap(ctx context.Context, rd card.Read, at time.Time) (TapEvent, error) {
	masked := eldergate.MaskID(rd.Credential)
	ev := TapEvent{Card: masked, At: at}
	// refusal: unknown_card, or card_lost / card_cancelled for a known credential (roster.go).
	elder, ok, refusal, err := g.lookupCredential(ctx, rd.Credential)
	if me, manual := manualElder(ctx); manual { // a meal recorded by staff: the elder chosen by id (staff.go)
		elder, ok, err = me, true, nil
	}
	if err != nil {
		return ev, fmt.Errorf("gateway: tap: %w", err)
	}
	if !ok {
		env, err := g.envelope(eldergate.KindAudit, at, UnknownCardData{
			Type: "tap_refused", Decision: eldergate.DecisionRefused, Reason: refusal,
			Credential: masked, Reader: rd.Reader,
		})
		if err != nil {
			return ev, err
		}
		if _, err := g.store.Commit(ctx, env, nil); err != nil {
			return ev, fmt.Errorf("gateway: tap: %w", err)
		}
		g.up.Notify()
		g.log.Info("gateway: tap refused", "reason", refusal, "card", masked, "event_id", env.ID)
		ev.EventID, ev.Decision, ev.Reason = env.ID, eldergate.DecisionRefused, refusal
		return ev, nil
	}

	// Price, usage, decision by the policy engine (policy.go).
	d, weight, err := g.decide(ctx, elder, at)
	if err != nil {
		return ev, fmt.Errorf("gateway: tap: %w", err)
	}

	window := d.Window
	if window == "" {
		window = "none" // refused outside any meal window
	}
	data := eldergate.MealData{
		ElderID: elder.ID, Credential: masked, Window: window, Day: d.Day,
		Decision: d.Decision, Reason: d.Reason,
		PriceFen: d.PriceFen, SubsidyFen: d.SubsidyFen, PayFen: d.PayFen,
		WeightG: weight, PolicyVer: d.PolicyVersion,
	}
	setMealPolicy(&data, d) // rule, discount, funding, operating subsidy (policy.go)
	markManual(ctx, &data)  // a meal recorded by staff by hand (staff.go)
	env, err := g.envelope(eldergate.KindMeal, at, data)
	if err != nil {
		return ev, err
	}
	meal := &sqlite.Meal{
		ElderID: elder.ID, Day: d.Day, Window: window, Decision: d.Decision, Reason: d.Reason,
		PriceFen: d.PriceFen, SubsidyFen: d.SubsidyFen, PayFen: d.PayFen, WeightG: weight,
		At: at, PolicyVersion: d.PolicyVersion, Policy: storedPolicy(d),
	}
	// Committed (synchronous=FULL) before the kiosk is told anything.
	if _, err := g.store.Commit(ctx, env, meal); err != nil {
		return ev, fmt.Errorf("gateway: tap: %w", err)
	}
	g.up.Notify()
	g.log.Info("gateway: tap decided", "event_id", env.ID, "elder", elder.ID, "name", eldergate.MaskName(elder.Name),
		"decision", d.Decision, "reason", d.Reason, "window", d.Window, "pay_fen", int64(d.PayFen))
	ev.EventID = env.ID
	ev.Decision, ev.Reason, ev.Window = d.Decision, d.Reason, d.Window
	ev.PriceFen, ev.SubsidyFen, ev.PayFen = d.PriceFen, d.SubsidyFen, d.PayFen
	ev.DiscountFen = d.DiscountFen
	ev.WeightG = weight
	ev.ElderName = eldergate.MaskName(elder.Name)
	return ev, nil
}

// onWeight keeps the last reading for the next meal and shows it.
func (g *Gateway) onWeight(w scale.Weight) {
	g.mu.Lock()
	g.weight = w
	g.mu.Unlock()
	g.http.Publish(EventWeight, WeightEvent{Grams: w.Grams, State: w.State})
}

// onPress raises an alert (short press) or cancels the button's last alert
// as a false alarm (long press). The kiosk is told even when the store
// fails: an alarm must never be silent.
func (g *Gateway) onPress(p button.Press) {
	at := p.At
	if at.IsZero() {
		at = g.now()
	}
	at, _ = g.stamp(at) // clock.go
	action := eldergate.AlertRaised
	g.mu.Lock()
	alertID, open := g.openAlerts[p.Button]
	if p.Kind == button.Long {
		if !open {
			g.mu.Unlock()
			g.log.Info("gateway: long press without an open alert ignored", "button", p.Button)
			return
		}
		action = eldergate.AlertCancelled
		delete(g.openAlerts, p.Button)
	} else {
		id, err := uuid.NewV7()
		if err != nil {
			id = uuid.New()
		}
		alertID = id.String()
		g.openAlerts[p.Button] = alertID
	}
	g.mu.Unlock()

	ev := AlertEvent{AlertID: alertID, Action: action, Button: p.Button, At: at}
	env, err := g.envelope(eldergate.KindAlert, at, eldergate.AlertData{
		AlertID: alertID, Action: action, Type: "emergency", Button: p.Button,
	})
	if err == nil {
		_, err = g.commitCritical(g.runCtx, env) // even on a full disk (disk.go)
	}
	if err != nil {
		g.log.Error("gateway: alert not recorded", "alert_id", alertID, "button", p.Button, "err", err)
	} else {
		ev.EventID = env.ID
		g.up.Notify()
	}
	g.log.Warn("gateway: alert", "alert_id", alertID, "action", action, "button", p.Button)
	g.http.Publish(EventAlert, ev)
}

// Status implements httpapi.Backend.
func (g *Gateway) Status(ctx context.Context) (httpapi.Status, error) {
	n, err := g.store.PendingCount(ctx)
	if err != nil {
		return httpapi.Status{}, fmt.Errorf("gateway: status: %w", err)
	}
	dead, ri, err := g.rosterStatus(ctx) // roster.go
	if err != nil {
		return httpapi.Status{}, fmt.Errorf("gateway: status: %w", err)
	}
	pol, _ := g.currentPolicy()
	return httpapi.Status{
		DeadLetters: dead, RosterVersion: ri.Version, RosterElders: ri.Elders,
		GatewayID: g.cfg.GatewayID, Site: g.cfg.Site, Version: g.version, Boot: g.store.Boot(),
		UplinkConnected: g.up.Connected(), OutboxPending: n, Simulation: g.cfg.Simulation,
		TimeZone: pol.TimeZone,
		Devices:  g.deviceStatuses(),
	}, nil
}

var errNotSim = errors.New("gateway: this device does not use the sim driver")

// SimRoster implements httpapi.Backend: the roster cards for the demo panel.
func (g *Gateway) SimRoster(ctx context.Context) ([]httpapi.SimCard, error) {
	elders, err := g.store.Roster(ctx)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	out := make([]httpapi.SimCard, 0, len(elders))
	for _, e := range elders {
		out = append(out, httpapi.SimCard{Name: eldergate.MaskName(e.Name), Card: e.Card})
	}
	return out, nil
}

// SimTap implements httpapi.Backend through the simulated reader.
func (g *Gateway) SimTap(cardID string) error {
	g.cmd.devMu.RLock() // a config command may be changing the devices
	sim := g.cardSim
	g.cmd.devMu.RUnlock()
	if sim == nil {
		return fmt.Errorf("card: %w", errNotSim)
	}
	return sim.Tap(cardID)
}

// SimWeight implements httpapi.Backend through the simulated scale.
func (g *Gateway) SimWeight(grams int64, stable bool) error {
	g.cmd.devMu.RLock()
	sim := g.scaleSim
	g.cmd.devMu.RUnlock()
	if sim == nil {
		return fmt.Errorf("scale: %w", errNotSim)
	}
	return sim.Set(grams, stable)
}

// SimButton implements httpapi.Backend through the simulated button.
func (g *Gateway) SimButton(id string) error {
	g.cmd.devMu.RLock()
	sim := g.buttonSim
	g.cmd.devMu.RUnlock()
	if sim == nil {
		return fmt.Errorf("button: %w", errNotSim)
	}
	return sim.Press(id)
}

// deviceStatuses reports the status of every configured device.
func (g *Gateway) deviceStatuses() []drivers.Status {
	out := []drivers.Status{}
	g.cmd.devMu.RLock()
	defer g.cmd.devMu.RUnlock()
	for _, d := range []interface{ Status() drivers.Status }{g.cardDev, g.scaleDev, g.buttonDev} {
		if d != nil {
			out = append(out, d.Status())
		}
	}
	return out
}
