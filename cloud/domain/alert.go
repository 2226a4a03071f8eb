package domain

import (
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
)

// The alert workflow's rules (DESIGN.md, "One alarm, end to end"), as Go
// that every store calls: the stores only read the alert an event belongs
// to and write back what these functions decide.

// AlertOp is what an alert event does to the alerts.
type AlertOp int

// The outcomes of ApplyAlertEvent.
const (
	AlertOpKeep   AlertOp = iota // nothing changes (a cancel with nothing live, an unknown action)
	AlertOpOpen                  // a new alert is opened: insert it
	AlertOpMerge                 // a press merged into the live alert: update it
	AlertOpCancel                // the live alert became a false alarm: update it
)

// DefaultAlertType is the type of an alert whose event names none.
const DefaultAlertType = "emergency"

// ClosedByGateway is who closed an alert cancelled at the gateway (an
// elder's long press / cancel).
const ClosedByGateway = "gateway"

// AlertStep is the outcome of one alert event.
type AlertStep struct {
	Op       AlertOp
	Alert    Alert  // the alert as it must be stored (Op != AlertOpKeep)
	ClosedBy string // set when the step closes the alert
}

// Live reports whether an alert in state s takes further presses: open
// or acknowledged.
func (s AlertState) Live() bool { return s == AlertOpen || s == AlertAcknowledged }

// ApplyAlertEvent decides what alert event e, of data a, does. live is the
// open or acknowledged alert the event belongs to (the one its gateway
// alert id maps to, else the live one of the same button), nil when none.
//
//   - raised, nothing live: a new open alert whose id is the event's;
//   - raised, live: merged into it (one more press; last_at the later);
//   - cancelled, live: it becomes a recorded false alarm, closed at the
//     event's time by the gateway;
//   - cancelled, nothing live: nothing (the event itself is kept).
func ApplyAlertEvent(live *Alert, e eldergate.Envelope, a eldergate.AlertData) AlertStep {
	at := e.At.UTC()
	switch {
	case a.Action == eldergate.AlertRaised && live == nil:
		typ := a.Type
		if typ == "" {
			typ = DefaultAlertType
		}
		return AlertStep{Op: AlertOpOpen, Alert: Alert{ID: e.ID, GW: e.GW, Site: e.Site, Button: a.Button, Type: typ,
			Place: a.Place, State: AlertOpen, Presses: 1, OpenedAt: at, LastAt: at, GWAlertID: a.AlertID, FirstEvent: e.ID}}
	case a.Action == eldergate.AlertRaised:
		next := *live
		next.Presses++
		if at.After(next.LastAt) {
			next.LastAt = at
		}
		return AlertStep{Op: AlertOpMerge, Alert: next}
	case a.Action == eldergate.AlertCancelled && live != nil:
		next := *live
		next.State = AlertFalseAlarm
		next.ClosedAt = &at
		return AlertStep{Op: AlertOpCancel, Alert: next, ClosedBy: ClosedByGateway}
	}
	return AlertStep{Op: AlertOpKeep}
}

// Ack acknowledges the alert: only an open alert may be acknowledged
// (ErrConflict otherwise).
func (a *Alert) Ack(by string, at time.Time) error {
	if a.State != AlertOpen {
		return fmt.Errorf("state is %s: %w", a.State, ErrConflict)
	}
	at = at.UTC()
	a.State, a.AckedAt, a.AckedBy = AlertAcknowledged, &at, by
	return nil
}

// Resolve closes an open or acknowledged alert as resolved (ErrConflict
// otherwise). An alert resolved without an acknowledgement counts as
// acknowledged by the same person at the same time.
func (a *Alert) Resolve(by string, at time.Time) error {
	if !a.State.Live() {
		return fmt.Errorf("state is %s: %w", a.State, ErrConflict)
	}
	at = at.UTC()
	a.State, a.ClosedAt = AlertResolved, &at
	if a.AckedAt == nil {
		a.AckedAt = &at
	}
	if a.AckedBy == "" {
		a.AckedBy = by
	}
	return nil
}
