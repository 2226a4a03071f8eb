package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
)

// The alarms' side of the local API (httpapi.AlertBackend): the main
// screen's live emergency alerts, and the staff screen's list,
// acknowledge and resolve, in the name of the signed-in staff member
// (masked as everywhere on screens). The alarm state itself is package
// alarms'.

// alarmButtons turns the configuration's alarms.buttons into the alarms'.
func alarmButtons(c config.AlarmsConfig) map[string]alarms.Button {
	out := make(map[string]alarms.Button, len(c.Buttons))
	for id, b := range c.Buttons {
		out[id] = alarms.Button{Name: b.Name, Place: b.Place, Supervision: b.Supervision}
	}
	return out
}

// KioskAlerts implements httpapi.AlertBackend: the live emergency alerts
// (supervision alerts are for staff only).
func (g *Gateway) KioskAlerts(ctx context.Context) (any, error) {
	out := []alarms.AlertEvent{}
	for _, a := range g.alarms.Alerts() {
		if a.Type != eldergate.AlertTypeSupervision {
			out = append(out, a)
		}
	}
	return out, nil
}

// StaffAlerts implements httpapi.AlertBackend: every live alert.
func (g *Gateway) StaffAlerts(ctx context.Context, tok string) (any, error) {
	if _, err := g.staff.Session(tok); err != nil {
		return nil, err
	}
	return g.alarms.Alerts(), nil
}

// StaffAck implements httpapi.AlertBackend.
func (g *Gateway) StaffAck(ctx context.Context, tok, id string) (any, error) {
	st, err := g.staff.Session(tok)
	if err != nil {
		return nil, err
	}
	ev, err := g.alarms.Acknowledge(ctx, id, eldergate.MaskName(st.Name))
	if err != nil {
		return nil, alertError("acknowledge", err)
	}
	g.log.Info("gateway: alert acknowledged by staff", "staff", st.ID, "alert_id", id, "event_id", ev.EventID)
	return ev, nil
}

// StaffResolve implements httpapi.AlertBackend.
func (g *Gateway) StaffResolve(ctx context.Context, tok, id, outcome, note string) (any, error) {
	st, err := g.staff.Session(tok)
	if err != nil {
		return nil, err
	}
	ev, err := g.alarms.Resolve(ctx, id, eldergate.MaskName(st.Name), outcome, note)
	if err != nil {
		return nil, alertError("resolve", err)
	}
	g.log.Info("gateway: alert resolved by staff", "staff", st.ID, "alert_id", id, "outcome", outcome, "event_id", ev.EventID)
	return ev, nil
}

// alertError gives an alarms error the status code it deserves.
func alertError(what string, err error) error {
	var code error
	switch {
	case errors.Is(err, alarms.ErrNotFound):
		code = httpapi.ErrNotFound
	case errors.Is(err, alarms.ErrClosed), errors.Is(err, alarms.ErrAcknowledged):
		code = httpapi.ErrConflict
	case errors.Is(err, alarms.ErrInvalid):
		code = httpapi.ErrInvalid
	default:
		return fmt.Errorf("gateway: alert %s: %w", what, err)
	}
	return fmt.Errorf("gateway: alert %s: %w: %w", what, err, code)
}
