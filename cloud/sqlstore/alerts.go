package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// The alerts: what the ingester and the staff change (by the rules of
// cloud/domain/alert.go), the escalation and kiosk push the alarm runner
// claims, the timeline (alert_log) and the settings of each org unit.

// alertCols lists the columns scanAlert reads, each prefixed with p ("" or
// an alias and a dot).
func alertCols(p string) string {
	cols := strings.Split("id gw site button type place state presses opened_at last_at acked_at acked_by acked_via "+
		"pressed_again_at closed_at closed_by outcome note gw_alert_id button_name reason "+
		"esc_level esc_since esc_reminders esc_count due_at renotify version", " ")
	for i, c := range cols {
		cols[i] = p + c
	}
	return strings.Join(cols, ", ")
}

type rowScanner interface{ Scan(dest ...any) error }

func scanAlert(r rowScanner) (domain.Alert, error) {
	var a domain.Alert
	var state, via, outcome string
	e := &a.Escalation
	err := r.Scan(&a.ID, &a.GW, &a.Site, &a.Button, &a.Type, &a.Place, &state, &a.Presses,
		Time(&a.OpenedAt), Time(&a.LastAt), NullTime(&a.AckedAt), &a.AckedBy, &via,
		NullTime(&a.PressedAgainAt), NullTime(&a.ClosedAt), &a.ClosedBy, &outcome, &a.Note, &a.GWAlertID,
		&a.ButtonName, &a.Reason, &e.Level, NullTime(&e.Since), &e.Reminders, &e.Escalations, NullTime(&e.DueAt),
		&e.Renotify, &a.Version)
	a.State, a.AckedVia, a.Outcome = domain.AlertState(state), domain.AckVia(via), domain.AlertOutcome(outcome)
	a.FirstEvent = a.ID
	return a, err
}

func scanAlertRows(r *sql.Rows) (domain.Alert, error) { return scanAlert(r) }

// findLiveAlert returns the open or acknowledged alert that an alert
// event of gateway gw at site belongs to, locked (nil when none): the one
// its alert id maps to (the gateway's own id, or the cloud's id that an
// alert command gave it), else the live one of the same button, type and
// reason (a press, a cancel or a supervision fault).
func (s *Store) findLiveAlert(ctx context.Context, c Conn, gw, site string, a eldergate.AlertData) (*domain.Alert, error) {
	queries := []struct {
		q    string
		args []any
	}{
		{`SELECT ` + alertCols("a.") + ` FROM alert_refs r JOIN alerts a ON a.id = r.alert_id
			WHERE r.gw = ? AND r.gw_alert_id = ? AND a.state IN ('open', 'acknowledged')`, []any{gw, a.AlertID}},
		{`SELECT ` + alertCols("a.") + ` FROM alerts a
			WHERE a.id = ? AND a.site = ? AND a.state IN ('open', 'acknowledged')`, []any{a.AlertID, site}},
	}
	if a.Action == eldergate.AlertRaised || a.Action == eldergate.AlertCancelled || a.Action == eldergate.AlertCleared {
		typ := a.Type
		if typ == "" {
			typ = domain.DefaultAlertType
		}
		queries = append(queries, struct {
			q    string
			args []any
		}{`SELECT ` + alertCols("a.") + ` FROM alerts a
			WHERE a.gw = ? AND a.button = ? AND a.type = ? AND a.reason = ? AND a.state IN ('open', 'acknowledged')
			ORDER BY a.opened_at DESC LIMIT 1`, []any{gw, a.Button, typ, a.Reason}})
	}
	for _, q := range queries {
		live, err := scanAlert(c.Row(ctx, q.q+s.D.forUpdate("a"), q.args...))
		if err == nil {
			return &live, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	return nil, nil
}

// ApplyAlert opens, merges into, acknowledges, resolves or clears an
// alert for a freshly stored alert event, by the rules of
// domain.ApplyAlertEvent, in the ingest transaction c.
func (s *Store) ApplyAlert(ctx context.Context, c Conn, e eldergate.Envelope) error {
	a, err := eldergate.DecodeAlertData(e.Data)
	if err != nil {
		return s.errf("ingest alert %s: %w", e.ID, err)
	}
	live, err := s.findLiveAlert(ctx, c, e.GW, e.Site, a)
	if err != nil {
		return s.errf("ingest alert %s: %w", e.ID, err)
	}
	step := domain.ApplyAlertEvent(live, e, a)
	n := step.Alert
	switch step.Op {
	case domain.AlertOpKeep:
		return nil
	case domain.AlertOpOpen:
		_, err = c.Exec(ctx, `INSERT INTO alerts (id, gw, site, button, type, place, state, presses,
			opened_at, last_at, gw_alert_id, button_name, reason, esc_level, due_at, version, kiosk_version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			n.ID, n.GW, n.Site, s.D.S(n.Button), s.D.S(n.Type), s.D.S(n.Place), string(n.State), n.Presses,
			s.D.T(n.OpenedAt), s.D.T(n.LastAt), s.D.S(n.GWAlertID), s.D.S(n.ButtonName), s.D.S(n.Reason),
			n.Escalation.Level, s.D.NT(n.Escalation.DueAt), n.Version)
	default:
		err = s.writeAlert(ctx, c, n)
	}
	if err != nil {
		return s.errf("ingest alert %s: %w", e.ID, err)
	}
	if err := s.appendLog(ctx, c, step.Log); err != nil {
		return s.errf("ingest alert %s: %w", e.ID, err)
	}
	if a.Action != eldergate.AlertRaised && a.Action != eldergate.AlertCancelled {
		return nil // an acknowledgement or a close names the alert, it adds no id of a press
	}
	if _, err := c.Exec(ctx, `INSERT INTO alert_refs (gw, gw_alert_id, alert_id) VALUES (?, ?, ?)
		ON CONFLICT (gw, gw_alert_id) DO UPDATE SET alert_id = excluded.alert_id`, e.GW, s.D.S(a.AlertID), n.ID); err != nil {
		return s.errf("ingest alert %s: ref: %w", e.ID, err)
	}
	return nil
}

// writeAlert writes back every column of a that a step may change.
func (s *Store) writeAlert(ctx context.Context, c Conn, a domain.Alert) error {
	e := a.Escalation
	_, err := c.Exec(ctx, `UPDATE alerts SET state = ?, presses = ?, last_at = ?, pressed_again_at = ?,
		acked_at = ?, acked_by = ?, acked_via = ?, closed_at = ?, closed_by = ?, outcome = ?, note = ?,
		esc_level = ?, esc_since = ?, esc_reminders = ?, esc_count = ?, due_at = ?, renotify = ?, version = ?
		WHERE id = ?`,
		string(a.State), a.Presses, s.D.T(a.LastAt), s.D.NT(a.PressedAgainAt),
		s.D.NT(a.AckedAt), a.AckedBy, string(a.AckedVia), s.D.NT(a.ClosedAt), a.ClosedBy, string(a.Outcome), a.Note,
		e.Level, s.D.NT(e.Since), e.Reminders, e.Escalations, s.D.NT(e.DueAt), e.Renotify, a.Version, a.ID)
	return err
}

func (s *Store) appendLog(ctx context.Context, c Conn, entries []domain.AlertLogEntry) error {
	for _, l := range entries {
		if _, err := c.Exec(ctx, `INSERT INTO alert_log (alert_id, at, kind, by_who, via, level, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, l.AlertID, s.D.T(l.At), l.Kind, s.D.S(l.By), s.D.S(l.Via), s.D.S(l.Level), s.D.S(l.Detail)); err != nil {
			return s.errf("alert log: %w", err)
		}
	}
	return nil
}

// ListAlerts implements domain.Store.
func (s *Store) ListAlerts(ctx context.Context, scope string) ([]domain.Alert, error) {
	out, err := queryAll(ctx, s.Conn(), scanAlertRows, `SELECT `+alertCols("")+`
		FROM alerts WHERE `+inScope("site")+` ORDER BY opened_at DESC, id DESC LIMIT ?2`, scope, domain.ListLimit)
	if err != nil {
		return nil, s.errf("list alerts: %w", err)
	}
	return out, nil
}

// AckAlert implements domain.Store (rule: domain.Alert.Ack).
func (s *Store) AckAlert(ctx context.Context, alertID, by string, via domain.AckVia, at time.Time) error {
	return s.transition(ctx, "ack", alertID, func(a *domain.Alert) ([]domain.AlertLogEntry, error) {
		if err := a.Ack(by, via, at); err != nil {
			return nil, err
		}
		return domain.AckLog(*a), nil
	})
}

// ResolveAlert implements domain.Store (rule: domain.Alert.Resolve).
func (s *Store) ResolveAlert(ctx context.Context, alertID, by string, via domain.AckVia, r domain.Resolution, at time.Time) error {
	return s.transition(ctx, "resolve", alertID, func(a *domain.Alert) ([]domain.AlertLogEntry, error) {
		wasAcked := a.AckedAt != nil
		if err := a.Resolve(by, via, r, at); err != nil {
			return nil, err
		}
		return domain.ResolveLog(*a, wasAcked, via), nil
	})
}

// transition reads the alert (locked), lets rule change it and writes it
// back with the timeline entries rule returns.
func (s *Store) transition(ctx context.Context, op, alertID string, rule func(*domain.Alert) ([]domain.AlertLogEntry, error)) error {
	return s.inTx(ctx, op+" alert", func(tx *Tx) error {
		a, err := scanAlert(tx.Row(ctx, `SELECT `+alertCols("a.")+` FROM alerts a WHERE id = ?`+s.D.forUpdate("a"), alertID))
		if err != nil {
			return s.errf("%s alert %s: %w", op, alertID, notFound(err))
		}
		log, err := rule(&a)
		if err != nil {
			return s.errf("%s alert %s: %w", op, alertID, err)
		}
		if err := s.writeAlert(ctx, tx.Conn, a); err != nil {
			return s.errf("%s alert %s: %w", op, alertID, err)
		}
		return s.appendLog(ctx, tx.Conn, log)
	})
}

// AlarmLadder implements domain.AlarmStore.
func (s *Store) AlarmLadder(ctx context.Context, site string) ([]domain.AlarmLevel, error) {
	ladder := []domain.AlarmLevel{{Unit: site, Level: domain.LevelSite, Name: site}}
	u, err := s.OrgUnit(ctx, site)
	switch {
	case errors.Is(err, domain.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		ladder[0].Name = u.Name
		for p := u.ParentID; p != ""; {
			pu, err := s.OrgUnit(ctx, p)
			if err != nil {
				return nil, s.errf("alarm ladder of %s: %w", site, err)
			}
			ladder = append(ladder, domain.AlarmLevel{Unit: pu.ID, Level: pu.Level, Name: pu.Name})
			p = pu.ParentID
		}
	}
	for i := range ladder {
		body, err := s.AlarmSettingsOf(ctx, ladder[i].Unit)
		if err != nil {
			return nil, err
		}
		ladder[i].Settings = domain.DefaultAlarmSettings(ladder[i].Level)
		if body != nil {
			st, err := domain.ParseAlarmSettings(ladder[i].Level, body)
			if err != nil {
				return nil, s.errf("alarm settings of %s: %w", ladder[i].Unit, err)
			}
			ladder[i].Settings = st
		}
	}
	return ladder, nil
}

// PutAlarmSettings implements domain.AlarmStore.
func (s *Store) PutAlarmSettings(ctx context.Context, unit string, body []byte, by string, at time.Time) error {
	if _, err := s.OrgUnit(ctx, unit); err != nil {
		return err
	}
	_, err := s.Conn().Exec(ctx, `INSERT INTO alarm_settings (unit, body, updated_at, updated_by) VALUES (?, ?, ?, ?)
		ON CONFLICT (unit) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		unit, s.D.S(string(body)), s.D.T(at), s.D.S(by))
	if err != nil {
		return s.errf("put alarm settings of %s: %w", unit, err)
	}
	return nil
}

// AlarmSettingsOf implements domain.AlarmStore.
func (s *Store) AlarmSettingsOf(ctx context.Context, unit string) ([]byte, error) {
	var body string
	err := s.Conn().Row(ctx, `SELECT body FROM alarm_settings WHERE unit = ?`, unit).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.errf("alarm settings of %s: %w", unit, err)
	}
	return []byte(body), nil
}

// DueAlerts implements domain.AlarmStore.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, limit int) ([]domain.Alert, error) {
	out, err := queryAll(ctx, s.Conn(), scanAlertRows, `SELECT `+alertCols("")+` FROM alerts
		WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?`, s.D.T(now), limit)
	if err != nil {
		return nil, s.errf("due alerts: %w", err)
	}
	return out, nil
}

// AdvanceEscalation implements domain.AlarmStore: the row is taken only if
// its escalation columns still hold prev.
func (s *Store) AdvanceEscalation(ctx context.Context, id string, prev, next domain.Escalation, log []domain.AlertLogEntry) (bool, error) {
	claimed := false
	err := s.inTx(ctx, "advance escalation", func(tx *Tx) error {
		n, err := tx.Affected(ctx, `UPDATE alerts SET esc_level = ?, esc_since = ?, esc_reminders = ?, esc_count = ?,
			due_at = ?, renotify = ?
			WHERE id = ? AND esc_level = ? AND esc_reminders = ? AND esc_count = ? AND renotify = ?
			AND due_at IS NOT NULL AND due_at = ?`,
			next.Level, s.D.NT(next.Since), next.Reminders, next.Escalations, s.D.NT(next.DueAt), next.Renotify,
			id, prev.Level, prev.Reminders, prev.Escalations, prev.Renotify, s.D.NT(prev.DueAt))
		if err != nil || n == 0 {
			return err
		}
		claimed = true
		return s.appendLog(ctx, tx.Conn, log)
	})
	return claimed, err
}

// AlertsToPush implements domain.AlarmStore.
func (s *Store) AlertsToPush(ctx context.Context, limit int) ([]domain.Alert, error) {
	out, err := queryAll(ctx, s.Conn(), scanAlertRows, `SELECT `+alertCols("")+` FROM alerts
		WHERE kiosk_version < version ORDER BY opened_at LIMIT ?`, limit)
	if err != nil {
		return nil, s.errf("alerts to push: %w", err)
	}
	return out, nil
}

// MarkAlertPushed implements domain.AlarmStore.
func (s *Store) MarkAlertPushed(ctx context.Context, id string, version int) (bool, error) {
	n, err := s.Conn().Affected(ctx, `UPDATE alerts SET kiosk_version = ? WHERE id = ? AND kiosk_version < ?`, version, id, version)
	if err != nil {
		return false, s.errf("mark alert %s pushed: %w", id, err)
	}
	return n == 1, nil
}

// AppendAlertLog implements domain.AlarmStore.
func (s *Store) AppendAlertLog(ctx context.Context, entries ...domain.AlertLogEntry) error {
	return s.appendLog(ctx, s.Conn(), entries)
}

const alertLogCols = `seq, alert_id, at, kind, by_who, via, level, detail`

func scanAlertLog(r *sql.Rows) (domain.AlertLogEntry, error) {
	var l domain.AlertLogEntry
	err := r.Scan(&l.Seq, &l.AlertID, Time(&l.At), &l.Kind, &l.By, &l.Via, &l.Level, &l.Detail)
	return l, err
}

// AlertLog implements domain.AlarmStore.
func (s *Store) AlertLog(ctx context.Context, id string) ([]domain.AlertLogEntry, error) {
	out, err := queryAll(ctx, s.Conn(), scanAlertLog, `SELECT `+alertLogCols+` FROM alert_log WHERE alert_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, s.errf("alert log of %s: %w", id, err)
	}
	return out, nil
}

// AlertLogSince implements domain.AlarmStore.
func (s *Store) AlertLogSince(ctx context.Context, seq int64, limit int) ([]domain.AlertLogEntry, error) {
	out, err := queryAll(ctx, s.Conn(), scanAlertLog, `SELECT `+alertLogCols+` FROM alert_log WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
	if err != nil {
		return nil, s.errf("alert log since %d: %w", seq, err)
	}
	return out, nil
}

// AlertLogHead implements domain.AlarmStore.
func (s *Store) AlertLogHead(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.Conn().Row(ctx, `SELECT coalesce(max(seq), 0) FROM alert_log`).Scan(&seq); err != nil {
		return 0, s.errf("alert log head: %w", err)
	}
	return seq, nil
}

// AlertsByID implements domain.AlarmStore.
func (s *Store) AlertsByID(ctx context.Context, ids []string) ([]domain.Alert, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	out, err := queryAll(ctx, s.Conn(), scanAlertRows, `SELECT `+alertCols("")+` FROM alerts WHERE id IN (?`+
		strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, s.errf("alerts by id: %w", err)
	}
	return out, nil
}

// BoardAlerts implements domain.AlarmStore.
func (s *Store) BoardAlerts(ctx context.Context, scope string, closedAfter time.Time) ([]domain.Alert, error) {
	out, err := queryAll(ctx, s.Conn(), scanAlertRows, `SELECT `+alertCols("")+` FROM alerts
		WHERE `+inScope("site")+` AND (state IN ('open', 'acknowledged') OR closed_at > ?2)
		ORDER BY opened_at DESC, id DESC LIMIT ?3`, scope, s.D.T(closedAfter), domain.ListLimit)
	if err != nil {
		return nil, s.errf("board alerts: %w", err)
	}
	return out, nil
}

// RecordCloudAlert implements domain.AlarmStore.
func (s *Store) RecordCloudAlert(ctx context.Context, e eldergate.Envelope) error {
	return s.inTx(ctx, "cloud alert", func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO events (id, gw, kind, site, seq, boot, at, clock, data, received_at)
			VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?, ?)`, e.ID, e.GW, string(eldergate.KindAlert), e.Site, s.D.T(e.At),
			e.Clock, s.D.S(string(e.Data)), s.D.T(e.At)); err != nil {
			return s.errf("cloud alert %s: %w", e.ID, err)
		}
		return s.ApplyAlert(ctx, tx.Conn, e)
	})
}

// SilentGateways implements domain.AlarmStore: last seen is the later of
// the last state and the last batch.
func (s *Store) SilentGateways(ctx context.Context, seenBefore time.Time) ([]domain.Gateway, error) {
	rows, err := s.Conn().Query(ctx, `SELECT g.id, g.site FROM gateways g
		WHERE g.site <> '' AND (g.state_at IS NOT NULL OR g.last_event_at IS NOT NULL)
		AND NOT (coalesce(g.state_at, g.last_event_at) >= ? OR coalesce(g.last_event_at, g.state_at) >= ?)
		AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.gw = g.id AND a.type = 'supervision' AND a.reason = ?
			AND a.state IN ('open', 'acknowledged'))
		ORDER BY g.id`, s.D.T(seenBefore), s.D.T(seenBefore), eldergate.SuperviseGatewaySilent)
	if err != nil {
		return nil, s.errf("silent gateways: %w", err)
	}
	defer rows.Close()
	var out []domain.Gateway
	for rows.Next() {
		var g domain.Gateway
		if err := rows.Scan(&g.ID, &g.Site); err != nil {
			return nil, s.errf("silent gateways: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// SilenceEnded implements domain.AlarmStore: the gateway is online and
// was heard after the alert opened (the fleet monitor may not have
// marked it offline yet when the alert was raised).
func (s *Store) SilenceEnded(ctx context.Context) ([]domain.Alert, error) {
	out, err := queryAll(ctx, s.Conn(), scanAlertRows, `SELECT `+alertCols("a.")+` FROM alerts a JOIN gateways g ON g.id = a.gw
		WHERE a.type = 'supervision' AND a.reason = ? AND a.state IN ('open', 'acknowledged') AND g.online = ?
		AND (g.state_at > a.opened_at OR g.last_event_at > a.opened_at)`,
		eldergate.SuperviseGatewaySilent, true)
	if err != nil {
		return nil, s.errf("silence ended: %w", err)
	}
	return out, nil
}

// AlertLogBetween implements domain.AlarmStore.
func (s *Store) AlertLogBetween(ctx context.Context, scope string, from, to time.Time) ([]domain.Alert, []domain.AlertLogEntry, error) {
	alerts, err := queryAll(ctx, s.Conn(), scanAlertRows, `SELECT `+alertCols("")+` FROM alerts
		WHERE `+inScope("site")+` AND opened_at >= ?2 AND opened_at < ?3 ORDER BY opened_at, id`, scope, s.D.T(from), s.D.T(to))
	if err != nil {
		return nil, nil, s.errf("alerts between: %w", err)
	}
	log, err := queryAll(ctx, s.Conn(), scanAlertLog, `SELECT l.seq, l.alert_id, l.at, l.kind, l.by_who, l.via, l.level, l.detail
		FROM alert_log l JOIN alerts a ON a.id = l.alert_id
		WHERE `+inScope("a.site")+` AND a.opened_at >= ?2 AND a.opened_at < ?3 ORDER BY l.seq`, scope, s.D.T(from), s.D.T(to))
	if err != nil {
		return nil, nil, s.errf("alert log between: %w", err)
	}
	return alerts, log, nil
}
