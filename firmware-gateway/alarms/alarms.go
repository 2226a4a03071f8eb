// Package alarms owns the gateway's local alarm state (DESIGN.md, "One
// alarm, end to end"): every live alert of the site this gateway knows,
// its own (button presses, supervision faults) and those of the site's
// other gateways learnt from the cloud's alert commands.
//
//	open ──staff ack (kiosk) or cloud update──▶ acknowledged (by whom)
//	open|acknowledged ──press──▶ same alert, presses+1 ("pressed again" once acknowledged)
//	open|acknowledged ──resolve (outcome, note)──▶ resolved | false_alarm ──▶ gone from the screen
//	open|acknowledged ──elder's long press──▶ false_alarm
//	supervision fault ──raised──▶ open ──fault ends──▶ cleared
//
// What happens here is recorded at once as an alert event (CommitCritical:
// even on a full disk, sent when the cloud is reachable again) and shown
// on the kiosk over SSE (event "alert", an AlertEvent with the whole
// alert). The cloud's AlertUpdate is the truth, applied unless it would
// move an alert backwards (open < acknowledged < closed). The kiosk is
// told even when the store fails: an alarm must never be silent.
package alarms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/button"
)

// EventAlert is the SSE event of an alert.
const EventAlert = "alert"

// The states of an alert: the cloud's (eldergate.AlertUpdate.State) and
// StateCleared, a supervision alert whose fault ended.
const (
	StateOpen         = "open"
	StateAcknowledged = "acknowledged"
	StateResolved     = "resolved"
	StateFalseAlarm   = "false_alarm"
	StateCleared      = "cleared"
)

// Actions of an AlertEvent besides the eldergate.Alert* actions: what
// changed the alert.
const (
	ActionPressed = "pressed" // one more press of a live alert
	ActionUpdated = "updated" // the cloud's alert command
)

// Outcomes are the outcomes staff choose from when resolving, in the
// order the kiosk offers them (the contract's, as the cloud's).
var Outcomes = eldergate.AlertOutcomes

// MaxNoteRunes bounds a resolution note (the contract's).
const MaxNoteRunes = eldergate.MaxAlertNoteRunes

// KioskDevice is the device name of the kiosk screen in supervision
// alerts (kiosk_disconnected).
const KioskDevice = "kiosk-screen"

// Errors of the staff actions; wrapped with the alert's id.
var (
	ErrNotFound     = errors.New("alarms: no such live alert")
	ErrClosed       = errors.New("alarms: alert already closed")
	ErrAcknowledged = errors.New("alarms: alert already acknowledged")
	ErrInvalid      = errors.New("alarms: invalid request")
)

// AlertEvent is the data of the SSE "alert" event and one item of
// Alerts: the whole alert as the kiosk shows it.
type AlertEvent struct {
	// ID is the alert's id on this gateway: this gateway's own alert id
	// for its own presses and faults, the cloud's id for another
	// gateway's alert. AlertID is the same (the alert_id of its events).
	ID      string `json:"id"`
	AlertID string `json:"alert_id"`
	CloudID string `json:"cloud_id,omitempty"` // once the cloud told it
	GW      string `json:"gw,omitempty"`       // the gateway the alert came from
	Own     bool   `json:"own"`                // raised by this gateway
	// Action is what changed: raised, pressed, cancelled, acknowledged,
	// resolved, cleared, updated. EventID is the alert event it recorded,
	// if any.
	Action       string     `json:"action"`
	EventID      string     `json:"event_id,omitempty"`
	State        string     `json:"state"` // open | acknowledged | resolved | false_alarm | cleared
	Type         string     `json:"type"`  // emergency | supervision
	Button       string     `json:"button,omitempty"`
	ButtonName   string     `json:"button_name,omitempty"`
	Place        string     `json:"place,omitempty"`
	Reason       string     `json:"reason,omitempty"` // supervision: eldergate.Supervise*
	Presses      int        `json:"presses"`
	OpenedAt     time.Time  `json:"opened_at"`
	AckedBy      string     `json:"acked_by,omitempty"` // masked name, as shown
	AckedAt      *time.Time `json:"acked_at,omitempty"`
	PressedAgain bool       `json:"pressed_again"`
	Outcome      string     `json:"outcome,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	At           time.Time  `json:"at"` // when this change happened
}

// Recorder commits an alert event, even on a full disk.
type Recorder interface {
	CommitCritical(ctx context.Context, env eldergate.Envelope) (eldergate.Envelope, error)
}

// Button is what the configuration says about one button (or device).
type Button struct {
	Name  string // shown instead of the id, e.g. 卫生间紧急按钮
	Place string // e.g. 一楼卫生间
	// Supervision is the interval of a 433 MHz pendant's supervision
	// reports; missing them for 2.5 times it raises button_silent. 0: not
	// supervised.
	Supervision time.Duration
}

// SilentFactor times a button's supervision interval without a sign of
// life raises button_silent.
const SilentFactor = 2.5

// Defaults of Config.
const (
	DefaultKioskGrace = 30 * time.Second
	DefaultTick       = time.Second
	// DefaultBatteryClear is how long a button must go without a
	// low-battery code (while heard otherwise) for battery_low to clear,
	// when it has no supervision interval.
	DefaultBatteryClear = 24 * time.Hour
)

// Config is what Alarms are made of.
type Config struct {
	GW        string // this gateway's id: an AlertUpdate of its own alert names it
	Recorder  Recorder
	Envelopes interface {
		New(kind eldergate.Kind, at time.Time, data any) (eldergate.Envelope, error)
	}
	Stamp   func(t time.Time) (time.Time, string) // the clock rules
	Publish func(event string, data any)          // the kiosk (SSE)
	Notify  func()                                // the uplink
	// OnChange, if not nil, hears every change of an alert, as the kiosk
	// does (e.g. the site's siren). It is called with the alarms' lock
	// held: it must not block or call back into Alarms.
	OnChange func(AlertEvent)
	Now      func() time.Time
	Log      *slog.Logger

	Buttons map[string]Button // by button id
	// KioskGrace: the kiosk screen gone this long (after it was once
	// connected) raises kiosk_disconnected. 0: DefaultKioskGrace;
	// negative: not supervised.
	KioskGrace time.Duration
	// Linger is how long a closed alert is remembered so that a late
	// cloud update does not bring it back; 0: eldergate.AlertUpdateTTL.
	Linger time.Duration
	// Tick is how often Run checks the supervision deadlines; 0: DefaultTick.
	Tick time.Duration
}

// alert is one alert; guarded by Alarms.mu.
type alert struct {
	key            string // its id here (AlertEvent.ID)
	own            bool
	cloudID, gw    string
	state, typ     string
	button         string
	name, place    string
	reason         string
	presses        int
	openedAt       time.Time
	ackedBy        string
	ackedAt        *time.Time
	pressedAgainAt *time.Time
	closedAt       *time.Time
	outcome        string
}

func (a *alert) live() bool { return rank(a.state) < 2 }

// rank orders the states: an alert never moves to a lower rank.
func rank(state string) int {
	switch state {
	case StateOpen:
		return 0
	case StateAcknowledged:
		return 1
	}
	return 2
}

// fault is a live supervision fault: one per device and reason.
type fault struct {
	key   string // the supervision alert raised for it
	since time.Time
}

// Alarms keeps the alerts. It is safe for concurrent use.
type Alarms struct {
	c       Config
	started time.Time

	mu       sync.Mutex
	alerts   map[string]*alert    // live alerts by key
	byCloud  map[string]string    // cloud id -> key
	byButton map[string]string    // button -> key of its own live emergency alert
	closed   map[string]time.Time // closed keys and cloud ids -> when, against late updates
	faults   map[string]*fault    // device+"/"+reason -> live fault
	seen     map[string]time.Time // button -> last sign of life
	battery  map[string]time.Time // button -> last low-battery code
	kiosk    struct {
		seen    bool      // a kiosk screen has connected
		streams int       // connected now
		goneAt  time.Time // when the last one went
	}
}

// New returns alarms with no alert.
func New(c Config) *Alarms {
	if c.KioskGrace == 0 {
		c.KioskGrace = DefaultKioskGrace
	}
	if c.Linger <= 0 {
		c.Linger = eldergate.AlertUpdateTTL
	}
	if c.Tick <= 0 {
		c.Tick = DefaultTick
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &Alarms{c: c, started: c.Now(),
		alerts: map[string]*alert{}, byCloud: map[string]string{}, byButton: map[string]string{},
		closed: map[string]time.Time{}, faults: map[string]*fault{}, seen: map[string]time.Time{}, battery: map[string]time.Time{}}
}

func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		id = uuid.New()
	}
	return id.String()
}

func (a *Alarms) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = a.c.Now()
	}
	t, _ = a.c.Stamp(t)
	return t
}

// record commits an alert event for al; it returns the event id.
func (a *Alarms) record(ctx context.Context, at time.Time, al *alert, action string, extra eldergate.AlertData) (string, error) {
	d := extra
	d.AlertID, d.Action, d.Type = al.key, action, al.typ
	if !al.own && al.cloudID != "" {
		d.AlertID = al.cloudID
	}
	d.Button, d.ButtonName, d.Place = al.button, al.name, al.place
	if al.typ == eldergate.AlertTypeSupervision {
		d.Reason = al.reason
	}
	env, err := a.c.Envelopes.New(eldergate.KindAlert, at, d)
	if err == nil {
		_, err = a.c.Recorder.CommitCritical(ctx, env) // even on a full disk
	}
	if err != nil {
		return "", fmt.Errorf("alarms: %s of alert %s not recorded: %w", action, al.key, err)
	}
	a.c.Notify()
	return env.ID, nil
}

func (a *Alarms) view(al *alert, action, eventID string, at time.Time) AlertEvent {
	return AlertEvent{ID: al.key, AlertID: al.key, CloudID: al.cloudID, GW: al.gw, Own: al.own, Action: action, EventID: eventID,
		State: al.state, Type: al.typ, Button: al.button, ButtonName: al.name, Place: al.place, Reason: al.reason,
		Presses: al.presses, OpenedAt: al.openedAt, AckedBy: al.ackedBy, AckedAt: al.ackedAt,
		PressedAgain: al.pressedAgainAt != nil, Outcome: al.outcome, ClosedAt: al.closedAt, At: at}
}

// show publishes al to the kiosk; a.mu is held (the hub never blocks).
func (a *Alarms) show(al *alert, action, eventID string, at time.Time) AlertEvent {
	ev := a.view(al, action, eventID, at)
	a.c.Publish(EventAlert, ev)
	if a.c.OnChange != nil {
		a.c.OnChange(ev)
	}
	return ev
}

// close takes al off the live alerts; a.mu is held.
func (a *Alarms) close(al *alert, at time.Time) {
	delete(a.alerts, al.key)
	if al.cloudID != "" {
		delete(a.byCloud, al.cloudID)
		a.closed[al.cloudID] = at
	}
	if a.byButton[al.button] == al.key {
		delete(a.byButton, al.button)
	}
	a.closed[al.key] = at
}

func ptr(t time.Time) *time.Time { return &t }

// Press raises an alert (short press; a press of a button with a live
// alert is merged into it) or cancels the button's live alert as a false
// alarm (long press).
func (a *Alarms) Press(ctx context.Context, p button.Press) {
	at := a.stamp(p.At)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.alive(ctx, p.Button, at)
	key, live := a.byButton[p.Button]
	if p.Kind == button.Long {
		if !live {
			a.c.Log.Info("gateway: long press without an open alert ignored", "button", p.Button)
			return
		}
		al := a.alerts[key]
		al.state, al.closedAt = StateFalseAlarm, ptr(at)
		id, err := a.record(ctx, at, al, eldergate.AlertCancelled, eldergate.AlertData{})
		a.logged(err, "gateway: alert cancelled by a long press", al)
		a.close(al, at)
		a.show(al, eldergate.AlertCancelled, id, at)
		return
	}
	action := eldergate.AlertRaised
	al := a.alerts[key]
	if live {
		action = ActionPressed
		al.presses++
		if al.state == StateAcknowledged {
			al.pressedAgainAt = ptr(at)
		}
	} else {
		b := a.c.Buttons[p.Button]
		al = &alert{key: newID(), own: true, gw: a.c.GW, state: StateOpen, typ: eldergate.AlertTypeEmergency,
			button: p.Button, name: b.Name, place: b.Place, presses: 1, openedAt: at}
		a.alerts[al.key] = al
		a.byButton[p.Button] = al.key
	}
	id, err := a.record(ctx, at, al, eldergate.AlertRaised, eldergate.AlertData{})
	a.logged(err, "gateway: alert", al)
	a.show(al, action, id, at)
}

func (a *Alarms) logged(err error, msg string, al *alert) {
	if err != nil {
		a.c.Log.Error("gateway: alert event not recorded", "alert_id", al.key, "button", al.button, "err", err)
	}
	a.c.Log.Warn(msg, "alert_id", al.key, "state", al.state, "button", al.button, "reason", al.reason, "presses", al.presses)
}

// find returns the live alert of id (its key here, or its cloud id).
func (a *Alarms) find(id string) (*alert, error) {
	if al, ok := a.alerts[id]; ok {
		return al, nil
	}
	if key, ok := a.byCloud[id]; ok {
		return a.alerts[key], nil
	}
	if _, ok := a.closed[id]; ok {
		return nil, fmt.Errorf("%w: %s", ErrClosed, id)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
}

// Acknowledge records that staff member by (their name as shown,
// masked) at this kiosk acknowledged alert id: at once here and on the
// kiosk, and as an alert event for the cloud (sent later when it is
// unreachable). Nothing changes when the event cannot be recorded.
func (a *Alarms) Acknowledge(ctx context.Context, id, by string) (AlertEvent, error) {
	if by == "" {
		return AlertEvent{}, fmt.Errorf("%w: who acknowledges is missing", ErrInvalid)
	}
	at := a.stamp(time.Time{})
	a.mu.Lock()
	defer a.mu.Unlock()
	al, err := a.find(id)
	if err != nil {
		return AlertEvent{}, err
	}
	if al.state == StateAcknowledged {
		return a.view(al, "", "", at), fmt.Errorf("%w by %s: %s", ErrAcknowledged, al.ackedBy, id)
	}
	evID, err := a.record(ctx, at, al, eldergate.AlertAcknowledged, eldergate.AlertData{By: by})
	if err != nil {
		return AlertEvent{}, err
	}
	al.state, al.ackedBy, al.ackedAt = StateAcknowledged, by, ptr(at)
	a.logged(nil, "gateway: alert acknowledged at the kiosk", al)
	return a.show(al, eldergate.AlertAcknowledged, evID, at), nil
}

// Resolve records that staff member by closed alert id with outcome (one
// of Outcomes) and an optional note: resolved, or false_alarm for that
// outcome. Like Acknowledge, recorded at once and sent when it can be.
func (a *Alarms) Resolve(ctx context.Context, id, by, outcome, note string) (AlertEvent, error) {
	switch {
	case by == "":
		return AlertEvent{}, fmt.Errorf("%w: who resolves is missing", ErrInvalid)
	case !eldergate.ValidAlertOutcome(outcome):
		return AlertEvent{}, fmt.Errorf("%w: outcome %q is not one of %v", ErrInvalid, outcome, Outcomes)
	case !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxNoteRunes:
		return AlertEvent{}, fmt.Errorf("%w: note is not valid UTF-8 or longer than %d characters", ErrInvalid, MaxNoteRunes)
	}
	at := a.stamp(time.Time{})
	a.mu.Lock()
	defer a.mu.Unlock()
	al, err := a.find(id)
	if err != nil {
		return AlertEvent{}, err
	}
	evID, err := a.record(ctx, at, al, eldergate.AlertResolved, eldergate.AlertData{By: by, Outcome: outcome, Note: note})
	if err != nil {
		return AlertEvent{}, err
	}
	al.state, al.outcome, al.closedAt = StateResolved, outcome, ptr(at)
	if outcome == eldergate.OutcomeFalseAlarm {
		al.state = StateFalseAlarm
	}
	a.logged(nil, "gateway: alert resolved at the kiosk", al)
	a.close(al, at)
	return a.show(al, eldergate.AlertResolved, evID, at), nil
}

// ApplyUpdate applies the cloud's state of an alert of the site (an
// alert command), unless it would move the alert backwards. An update of
// this gateway's own alert matches it by GWAlertID, others by AlertID. It
// reports whether anything changed.
func (a *Alarms) ApplyUpdate(u eldergate.AlertUpdate) bool {
	at := a.stamp(time.Time{})
	a.mu.Lock()
	defer a.mu.Unlock()
	own := u.GW == a.c.GW && u.GWAlertID != ""
	key := u.AlertID
	if own {
		key = u.GWAlertID
	}
	al := a.alerts[key]
	if al == nil {
		if k, ok := a.byCloud[u.AlertID]; ok {
			al = a.alerts[k]
		}
	}
	if al == nil {
		_, gone := a.closed[key]
		_, goneCloud := a.closed[u.AlertID]
		if gone || goneCloud || rank(u.State) == 2 {
			// Closed here already, or closed before it was ever shown.
			a.closed[key] = at
			return false
		}
		al = &alert{key: key, own: own, gw: u.GW, typ: u.Type, button: u.Button, openedAt: u.OpenedAt.UTC(), state: u.State}
		if al.typ == "" {
			al.typ = eldergate.AlertTypeEmergency
		}
		a.alerts[key] = al
		if own && al.typ == eldergate.AlertTypeEmergency && a.byButton[al.button] == "" {
			a.byButton[al.button] = key
		}
	} else if rank(u.State) < rank(al.state) {
		a.c.Log.Info("gateway: older alert update ignored", "alert_id", al.key, "state", al.state, "update_state", u.State)
		return false
	}
	al.state, al.cloudID = u.State, u.AlertID
	a.byCloud[u.AlertID] = al.key
	if u.ButtonName != "" {
		al.name = u.ButtonName
	}
	if u.Place != "" {
		al.place = u.Place
	}
	if u.Reason != "" {
		al.reason = u.Reason
	}
	al.presses = max(al.presses, u.Presses)
	if u.AckedBy != "" {
		al.ackedBy = u.AckedBy
	}
	if u.AckedAt != nil {
		al.ackedAt = ptr(u.AckedAt.UTC())
	}
	if u.PressedAgainAt != nil {
		al.pressedAgainAt = ptr(u.PressedAgainAt.UTC())
	}
	if u.Outcome != "" {
		al.outcome = u.Outcome
	}
	if rank(al.state) == 2 {
		closedAt := at
		if u.ClosedAt != nil {
			closedAt = u.ClosedAt.UTC()
		}
		al.closedAt = &closedAt
		a.close(al, at)
	}
	a.c.Log.Info("gateway: alert updated by the cloud", "alert_id", al.key, "cloud_id", u.AlertID, "state", al.state, "acked_by", al.ackedBy)
	a.show(al, ActionUpdated, "", at)
	return true
}

// Alerts returns the live alerts, oldest first.
func (a *Alarms) Alerts() []AlertEvent {
	at := a.c.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AlertEvent, 0, len(a.alerts))
	for _, al := range a.alerts {
		out = append(out, a.view(al, "", "", at))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].OpenedAt.Equal(out[j].OpenedAt) {
			return out[i].OpenedAt.Before(out[j].OpenedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
