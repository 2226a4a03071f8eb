package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eldergate/eldergate"
)

// The alert workflow's rules (DESIGN.md, "One alarm, end to end"), as Go
// that every store calls: the stores only read the alert an event belongs
// to and write back what these functions decide.
//
//	open ──press──▶ open (merged: presses+1, last_at)
//	open ──ack──▶ acknowledged (by whom, via where)
//	acknowledged ──press──▶ acknowledged, "pressed again" (re-notify)
//	open|acknowledged ──resolve(outcome, note)──▶ resolved | false_alarm
//	open|acknowledged ──elder's cancel──▶ false_alarm (by the gateway)
//	resolved|false_alarm ──press──▶ a new open alert

// AlertOp is what an alert event does to the alerts.
type AlertOp int

// The outcomes of ApplyAlertEvent.
const (
	AlertOpKeep   AlertOp = iota // nothing changes (a cancel with nothing live, an unknown action)
	AlertOpOpen                  // a new alert is opened: insert it
	AlertOpMerge                 // a press merged into the live alert (open, or pressed again): update it
	AlertOpCancel                // the live alert became a false alarm: update it
	AlertOpUpdate                // acknowledged, resolved or cleared: update it
)

// DefaultAlertType is the type of an alert whose event names none.
const DefaultAlertType = "emergency"

// ClosedByGateway is who closed an alert cancelled at the gateway (an
// elder's long press / cancel).
const ClosedByGateway = "gateway"

// AlertOutcome is how an alert ended.
type AlertOutcome string

// The outcomes a resolver chooses from (the contract's, typed).
const (
	OutcomeHelpedOnSite    AlertOutcome = eldergate.OutcomeHelpedOnSite
	OutcomeSentToHospital  AlertOutcome = eldergate.OutcomeSentToHospital
	OutcomeFamilyContacted AlertOutcome = eldergate.OutcomeFamilyContacted
	OutcomeFalseAlarm      AlertOutcome = eldergate.OutcomeFalseAlarm
	OutcomeTest            AlertOutcome = eldergate.OutcomeTest
)

// AlertOutcomes lists the valid outcomes in the order a form offers them
// (eldergate.AlertOutcomes).
var AlertOutcomes = func() []AlertOutcome {
	out := make([]AlertOutcome, len(eldergate.AlertOutcomes))
	for i, o := range eldergate.AlertOutcomes {
		out[i] = AlertOutcome(o)
	}
	return out
}()

// Valid reports whether o is one of AlertOutcomes.
func (o AlertOutcome) Valid() bool { return eldergate.ValidAlertOutcome(string(o)) }

// AckVia is where an alert was acknowledged.
type AckVia string

// The places an acknowledgement comes from.
const (
	ViaConsole AckVia = "console"
	ViaKiosk   AckVia = "kiosk"
	ViaAPI     AckVia = "api"
)

// Valid reports whether v is console, kiosk or api.
func (v AckVia) Valid() bool { return v == ViaConsole || v == ViaKiosk || v == ViaAPI }

// MaxNoteRunes bounds a resolution note.
const MaxNoteRunes = eldergate.MaxAlertNoteRunes

// Resolution is what a resolver says about a closed alert.
type Resolution struct {
	Outcome AlertOutcome `json:"outcome"`
	Note    string       `json:"note"`
}

// Check returns an ErrInvalid error naming what is wrong with r, nil when
// it may close an alert.
func (r Resolution) Check() error {
	if !r.Outcome.Valid() {
		names := make([]string, len(AlertOutcomes))
		for i, o := range AlertOutcomes {
			names[i] = string(o)
		}
		return fmt.Errorf("outcome %q is not one of %s: %w", r.Outcome, strings.Join(names, ", "), ErrInvalid)
	}
	if !utf8.ValidString(r.Note) || utf8.RuneCountInString(r.Note) > MaxNoteRunes {
		return fmt.Errorf("note: not valid UTF-8 or longer than %d characters: %w", MaxNoteRunes, ErrInvalid)
	}
	return nil
}

// AlertStep is the outcome of one alert event.
// A press after the acknowledgement ("pressed again") sets
// Alert.Escalation.Renotify: whoever was told must be told again.
type AlertStep struct {
	Op    AlertOp
	Alert Alert // the alert as it must be stored (Op != AlertOpKeep)
	// Log is what the step appends to the alert's timeline.
	Log []AlertLogEntry
}

// Live reports whether an alert in state s takes further presses: open
// or acknowledged.
func (s AlertState) Live() bool { return s == AlertOpen || s == AlertAcknowledged }

// ClosedByCloud is who closed a supervision alert the cloud raised.
const ClosedByCloud = "cloud"

// OutcomeRecovered closes a supervision alert whose device came back; it
// is set by the system, never offered to a resolver.
const OutcomeRecovered AlertOutcome = "recovered"

// ApplyAlertEvent decides what alert event e, of data a, does. live is the
// open or acknowledged alert the event belongs to (the one its alert id
// maps to, else the live one of the same button, type and reason), nil
// when none: a resolved or false-alarm alert is never live, so a press
// after it opens a new alert.
//
//   - raised, nothing live: a new open alert whose id is the event's, due
//     for its first notification at once;
//   - raised, live and open (or pressed before the acknowledgement,
//     received after it): merged into it (one more press; last_at the later);
//   - raised, live and pressed after its acknowledgement: merged, it stays
//     acknowledged, pressed_again_at is the press's time (the later) and
//     the escalation says Renotify and is due at once;
//   - cancelled, live: it becomes a recorded false alarm, closed at the
//     event's time by the gateway;
//   - acknowledged / resolved (staff at the kiosk), live: Ack / Resolve by
//     the named staff member via the kiosk; one that breaks the rule (an
//     alert acknowledged already in the console) changes nothing;
//   - cleared (a supervised device is back), live: closed as resolved,
//     outcome recovered;
//   - anything else: nothing (the event itself is kept).
func ApplyAlertEvent(live *Alert, e eldergate.Envelope, a eldergate.AlertData) AlertStep {
	at := e.At.UTC()
	entry := func(alert, kind, by, via, detail string) AlertLogEntry {
		return AlertLogEntry{AlertID: alert, At: at, Kind: kind, By: by, Via: via, Detail: detail}
	}
	if live == nil {
		if a.Action != eldergate.AlertRaised {
			return AlertStep{Op: AlertOpKeep}
		}
		typ := a.Type
		if typ == "" {
			typ = DefaultAlertType
		}
		n := Alert{ID: e.ID, GW: e.GW, Site: e.Site, Button: a.Button, ButtonName: a.ButtonName, Type: typ,
			Reason: a.Reason, Place: a.Place, State: AlertOpen, Presses: 1, OpenedAt: at, LastAt: at,
			GWAlertID: a.AlertID, FirstEvent: e.ID, Escalation: NewEscalation(at), Version: 1}
		return AlertStep{Op: AlertOpOpen, Alert: n, Log: []AlertLogEntry{entry(n.ID, AlertLogOpened, "", "gateway", a.Reason)}}
	}
	next := *live
	switch a.Action {
	case eldergate.AlertRaised:
		next.Version++
		next.Presses++
		if at.After(next.LastAt) {
			next.LastAt = at
		}
		step := AlertStep{Op: AlertOpMerge, Alert: next, Log: []AlertLogEntry{entry(next.ID, AlertLogPressed, "", "gateway", "")}}
		if next.State == AlertAcknowledged && next.AckedAt != nil && at.After(*next.AckedAt) {
			if next.PressedAgainAt == nil || at.After(*next.PressedAgainAt) {
				again := at
				step.Alert.PressedAgainAt = &again
			}
			step.Alert.Escalation.Renotify = true
			step.Alert.Escalation.DueAt = &at
			step.Log[0].Kind = AlertLogPressedAgain
		}
		return step
	case eldergate.AlertCancelled:
		next.Version++
		next.State = AlertFalseAlarm
		next.ClosedAt = &at
		next.ClosedBy = ClosedByGateway
		next.Outcome = OutcomeFalseAlarm
		next.Escalation.DueAt = nil
		return AlertStep{Op: AlertOpCancel, Alert: next,
			Log: []AlertLogEntry{entry(next.ID, AlertLogFalseAlarm, ClosedByGateway, "gateway", "cancelled")}}
	case eldergate.AlertAcknowledged:
		if next.Ack(a.By, ViaKiosk, at) != nil {
			return AlertStep{Op: AlertOpKeep}
		}
		return AlertStep{Op: AlertOpUpdate, Alert: next, Log: []AlertLogEntry{entry(next.ID, AlertLogAcknowledged, a.By, string(ViaKiosk), "")}}
	case eldergate.AlertResolved:
		wasAcked := next.AckedAt != nil
		if next.Resolve(a.By, ViaKiosk, Resolution{Outcome: AlertOutcome(a.Outcome), Note: a.Note}, at) != nil {
			return AlertStep{Op: AlertOpKeep}
		}
		return AlertStep{Op: AlertOpUpdate, Alert: next, Log: closeLog(next, wasAcked)}
	case eldergate.AlertCleared:
		next.Version++
		next.State, next.ClosedAt, next.ClosedBy, next.Outcome = AlertResolved, &at, ClosedByGateway, OutcomeRecovered
		if e.Seq == 0 && e.Boot == 0 {
			next.ClosedBy = ClosedByCloud
		}
		next.Escalation.DueAt = nil
		return AlertStep{Op: AlertOpUpdate, Alert: next,
			Log: []AlertLogEntry{entry(next.ID, AlertLogCleared, next.ClosedBy, next.ClosedBy, string(OutcomeRecovered))}}
	}
	return AlertStep{Op: AlertOpKeep}
}

// closeLog is the timeline of a resolution: the implied acknowledgement
// (when there was none before) and the close.
func closeLog(a Alert, wasAcked bool) []AlertLogEntry {
	var out []AlertLogEntry
	if !wasAcked {
		out = append(out, AlertLogEntry{AlertID: a.ID, At: *a.AckedAt, Kind: AlertLogAcknowledged, By: a.AckedBy, Via: string(a.AckedVia)})
	}
	kind := AlertLogResolved
	if a.State == AlertFalseAlarm {
		kind = AlertLogFalseAlarm
	}
	return append(out, AlertLogEntry{AlertID: a.ID, At: *a.ClosedAt, Kind: kind, By: a.ClosedBy, Via: string(a.AckedVia), Detail: string(a.Outcome)})
}

// AckLog and ResolveLog are the timeline entries of a staff action taken
// through the API (the store appends them with the change).
func AckLog(a Alert) []AlertLogEntry {
	return []AlertLogEntry{{AlertID: a.ID, At: *a.AckedAt, Kind: AlertLogAcknowledged, By: a.AckedBy, Via: string(a.AckedVia)}}
}

// ResolveLog: see AckLog. via is where the resolution came from.
func ResolveLog(a Alert, wasAcked bool, via AckVia) []AlertLogEntry {
	out := closeLog(a, wasAcked)
	out[len(out)-1].Via = string(via)
	return out
}

// Ack acknowledges the alert by by (who: the API token) via via (where):
// only an open alert may be acknowledged (ErrConflict otherwise); an
// unknown via or an empty by is ErrInvalid.
func (a *Alert) Ack(by string, via AckVia, at time.Time) error {
	if !via.Valid() {
		return fmt.Errorf("via %q is not one of console, kiosk, api: %w", via, ErrInvalid)
	}
	if by == "" {
		return fmt.Errorf("ack: who acknowledged is missing: %w", ErrInvalid)
	}
	if a.State != AlertOpen {
		return fmt.Errorf("state is %s: %w", a.State, ErrConflict)
	}
	at = at.UTC()
	a.State, a.AckedAt, a.AckedBy, a.AckedVia = AlertAcknowledged, &at, by, via
	a.Escalation.DueAt, a.Escalation.Renotify = nil, false
	a.Version++
	return nil
}

// Resolve closes an open or acknowledged alert (ErrConflict otherwise)
// with r's outcome and note (ErrInvalid when r.Check fails): state
// false_alarm for the outcome false_alarm, else resolved. An alert
// resolved without an acknowledgement counts as acknowledged by the same
// token at the same time, via via.
func (a *Alert) Resolve(by string, via AckVia, r Resolution, at time.Time) error {
	if err := r.Check(); err != nil {
		return err
	}
	if !via.Valid() {
		return fmt.Errorf("via %q is not one of console, kiosk, api: %w", via, ErrInvalid)
	}
	if by == "" {
		return fmt.Errorf("resolve: who resolved is missing: %w", ErrInvalid)
	}
	if !a.State.Live() {
		return fmt.Errorf("state is %s: %w", a.State, ErrConflict)
	}
	at = at.UTC()
	a.State = AlertResolved
	if r.Outcome == OutcomeFalseAlarm {
		a.State = AlertFalseAlarm
	}
	a.ClosedAt, a.ClosedBy, a.Outcome, a.Note = &at, by, r.Outcome, r.Note
	if a.AckedAt == nil {
		a.AckedAt, a.AckedBy, a.AckedVia = &at, by, via
	}
	a.Escalation.DueAt, a.Escalation.Renotify = nil, false
	a.Version++
	return nil
}
