// Package alarms turns the presses of emergency buttons into alert
// events: a short press raises an alert, a long press cancels the
// button's last alert as a false alarm. The kiosk is told even when the
// store fails: an alarm must never be silent.
package alarms

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/button"
)

// EventAlert is the SSE event of an alert.
const EventAlert = "alert"

// AlertEvent is the data of the SSE "alert" event.
type AlertEvent struct {
	EventID string    `json:"event_id,omitempty"`
	AlertID string    `json:"alert_id"`
	Action  string    `json:"action"` // raised | cancelled
	Button  string    `json:"button"`
	At      time.Time `json:"at"`
}

// Recorder commits an alert event, even on a full disk.
type Recorder interface {
	CommitCritical(ctx context.Context, env eldergate.Envelope) (eldergate.Envelope, error)
}

// Config is what Alarms are made of.
type Config struct {
	Recorder  Recorder
	Envelopes interface {
		New(kind eldergate.Kind, at time.Time, data any) (eldergate.Envelope, error)
	}
	Stamp   func(t time.Time) (time.Time, string) // the clock rules
	Publish func(event string, data any)          // the kiosk (SSE)
	Notify  func()                                // the uplink
	Now     func() time.Time
	Log     *slog.Logger
}

// Alarms keeps the open alert of every button. It is safe for concurrent use.
type Alarms struct {
	c Config

	mu   sync.Mutex
	open map[string]string // button -> alert id of its last raised alert
}

// New returns alarms with no open alert.
func New(c Config) *Alarms { return &Alarms{c: c, open: map[string]string{}} }

// Press raises an alert (short press) or cancels the button's last alert
// as a false alarm (long press).
func (a *Alarms) Press(ctx context.Context, p button.Press) {
	at := p.At
	if at.IsZero() {
		at = a.c.Now()
	}
	at, _ = a.c.Stamp(at)
	action := eldergate.AlertRaised
	a.mu.Lock()
	alertID, open := a.open[p.Button]
	if p.Kind == button.Long {
		if !open {
			a.mu.Unlock()
			a.c.Log.Info("gateway: long press without an open alert ignored", "button", p.Button)
			return
		}
		action = eldergate.AlertCancelled
		delete(a.open, p.Button)
	} else {
		id, err := uuid.NewV7()
		if err != nil {
			id = uuid.New()
		}
		alertID = id.String()
		a.open[p.Button] = alertID
	}
	a.mu.Unlock()

	ev := AlertEvent{AlertID: alertID, Action: action, Button: p.Button, At: at}
	env, err := a.c.Envelopes.New(eldergate.KindAlert, at, eldergate.AlertData{
		AlertID: alertID, Action: action, Type: "emergency", Button: p.Button,
	})
	if err == nil {
		_, err = a.c.Recorder.CommitCritical(ctx, env) // even on a full disk
	}
	if err != nil {
		a.c.Log.Error("gateway: alert not recorded", "alert_id", alertID, "button", p.Button, "err", err)
	} else {
		ev.EventID = env.ID
		a.c.Notify()
	}
	a.c.Log.Warn("gateway: alert", "alert_id", alertID, "action", action, "button", p.Button)
	a.c.Publish(EventAlert, ev)
}
