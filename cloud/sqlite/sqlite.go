// Package sqlite is the SQLite implementation of the cloud store.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	_ "github.com/mattn/go-sqlite3" // driver "sqlite3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file inside the data directory.
const FileName = "cloud.db"

// maxPrefix bounds the payload prefix kept in the dead-letter table.
const maxPrefix = 512

// Store is the SQLite store. It implements domain.Store.
type Store struct {
	db *sql.DB
}

var _ domain.Store = (*Store)(nil)

// Open opens (creating if needed) the database in dir and migrates it.
func Open(ctx context.Context, dir string) (*Store, error) {
	return OpenFile(ctx, filepath.Join(dir, FileName))
}

// OpenFile opens the database at path and migrates it.
func OpenFile(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "FULL") // an ack promises the commit is durable
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("sqlite: migrate: bad migration name %q", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		if err := s.apply(ctx, v, base, string(body)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, v int, name, body string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_version WHERE version = ?`, v).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
		v, name, ts(time.Now())); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", name, err)
	}
	return nil
}

// tsLayout has a fixed width so that text order is time order.
const tsLayout = "2006-01-02T15:04:05.000000000Z"

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

func nullTS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func parseTS(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: bad time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseNullTS(ns sql.NullString) (*time.Time, error) {
	if !ns.Valid {
		return nil, nil
	}
	t, err := parseTS(ns.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// UpsertGateway implements domain.Store.
func (s *Store) UpsertGateway(ctx context.Context, c domain.GatewayCredential) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO gateways (id, site, secret_hash, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET site = excluded.site, secret_hash = excluded.secret_hash`,
		c.ID, c.Site, c.SecretHash, ts(time.Now()))
	if err != nil {
		return fmt.Errorf("sqlite: upsert gateway %s: %w", c.ID, err)
	}
	return nil
}

// GatewayCredential implements domain.Store.
func (s *Store) GatewayCredential(ctx context.Context, id string) (domain.GatewayCredential, error) {
	c := domain.GatewayCredential{ID: id}
	var revoked sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT site, secret_hash, revoked_at FROM gateways WHERE id = ?`, id).Scan(&c.Site, &c.SecretHash, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("sqlite: gateway %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: gateway %s: %w", id, err)
	}
	if c.RevokedAt, err = parseNullTS(revoked); err != nil {
		return c, fmt.Errorf("sqlite: gateway %s: %w", id, err)
	}
	return c, nil
}

// IngestBatch implements domain.Store.
func (s *Store) IngestBatch(ctx context.Context, gw string, events []eldergate.Envelope, receivedAt time.Time) ([]string, error) {
	c, err := s.IngestBatches(ctx, []domain.GatewayBatch{{GW: gw, Events: events}}, receivedAt)
	if err != nil {
		return nil, err
	}
	return c[0], nil
}

// gwTally is what one transaction of IngestBatches adds to a gateway row.
type gwTally struct {
	domain.SeqTally // the events stored fresh
	site            string
	skew            int64 // receipt minus at, smallest (see domain.Gateway)
	haveSkew        bool
}

// IngestBatches implements domain.Store: one transaction, an insert-if-
// absent per event, then each gateway's row (last batch, skew, sequence
// counters) updated once.
func (s *Store) IngestBatches(ctx context.Context, batches []domain.GatewayBatch, receivedAt time.Time) ([][]string, error) {
	out := make([][]string, len(batches))
	for i := range out {
		out[i] = []string{}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: ingest: %w", err)
	}
	defer tx.Rollback()
	rat := ts(receivedAt)
	tally := map[string]*gwTally{}
	var gws []string
	for i, b := range batches {
		for j := range b.Events {
			e := &b.Events[j]
			if e.GW != b.GW {
				continue // not this gateway's event: never committed for it
			}
			t := tally[e.GW]
			if t == nil {
				t = &gwTally{}
				tally[e.GW] = t
				gws = append(gws, e.GW)
			}
			t.site = e.Site
			if d := receivedAt.Sub(e.At).Milliseconds(); !t.haveSkew || d < t.skew {
				t.skew, t.haveSkew = d, true
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO events (id, gw, kind, site, seq, boot, at, clock, data, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
				e.ID, e.GW, string(e.Kind), e.Site, int64(e.Seq), int64(e.Boot), ts(e.At), e.Clock, string(e.Data), rat)
			if err != nil {
				return nil, fmt.Errorf("sqlite: ingest event %s: %w", e.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return nil, fmt.Errorf("sqlite: ingest event %s: %w", e.ID, err)
			}
			if n == 0 {
				// Already stored: acknowledge it again, but only to its owner.
				var owner string
				if err := tx.QueryRowContext(ctx, `SELECT gw FROM events WHERE id = ?`, e.ID).Scan(&owner); err != nil {
					return nil, fmt.Errorf("sqlite: ingest event %s: %w", e.ID, err)
				}
				if owner == b.GW {
					out[i] = append(out[i], e.ID)
				}
				continue
			}
			switch e.Kind {
			case eldergate.KindMeal:
				err = insertMeal(ctx, tx, e, rat)
			case eldergate.KindAlert:
				err = applyAlert(ctx, tx, *e)
			}
			if err != nil {
				return nil, err
			}
			t.Add(e.Seq)
			out[i] = append(out[i], e.ID)
		}
	}
	for _, gw := range gws {
		t := tally[gw]
		var lo, hi any // NULL when nothing new
		if t.N > 0 {
			lo, hi = t.Lo, t.Hi
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO gateways (id, site, created_at, last_event_at, clock_skew_ms, seq_min, seq_max, seq_count)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET last_event_at = excluded.last_event_at,
				clock_skew_ms = excluded.clock_skew_ms,
				online = CASE WHEN gateways.state_at IS NULL OR gateways.state_at < excluded.last_event_at
					THEN true ELSE gateways.online END,
				site = CASE WHEN gateways.site = '' THEN excluded.site ELSE gateways.site END,
				seq_min = CASE WHEN excluded.seq_min IS NULL THEN gateways.seq_min
					WHEN gateways.seq_min IS NULL THEN excluded.seq_min ELSE min(gateways.seq_min, excluded.seq_min) END,
				seq_max = CASE WHEN excluded.seq_max IS NULL THEN gateways.seq_max
					WHEN gateways.seq_max IS NULL THEN excluded.seq_max ELSE max(gateways.seq_max, excluded.seq_max) END,
				seq_count = gateways.seq_count + excluded.seq_count`,
			gw, t.site, rat, rat, t.skew, lo, hi, t.N); err != nil {
			return nil, fmt.Errorf("sqlite: ingest: gateway %s: %w", gw, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: ingest: commit: %w", err)
	}
	return out, nil
}

func insertMeal(ctx context.Context, tx *sql.Tx, e *eldergate.Envelope, rat string) error {
	m, err := e.Meal()
	if err != nil {
		return fmt.Errorf("sqlite: ingest meal %s: %w", e.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO meals (event_id, gw, site, elder_id, window, day, decision, reason,
		price_fen, subsidy_fen, pay_fen, weight_g, policy_version, at, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.GW, e.Site, m.ElderID, m.Window, m.Day, m.Decision, m.Reason,
		int64(m.PriceFen), int64(m.SubsidyFen), int64(m.PayFen), m.WeightG, m.PolicyVer, ts(e.At), rat)
	if err != nil {
		return fmt.Errorf("sqlite: ingest meal %s: %w", e.ID, err)
	}
	return nil
}

// findLiveAlert returns the id of the open or acknowledged alert that an
// alert event of gateway gw belongs to: the one its gateway alert id maps
// to, else the live one of the same button.
func findLiveAlert(ctx context.Context, tx *sql.Tx, gw string, a eldergate.AlertData) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT a.id FROM alert_refs r JOIN alerts a ON a.id = r.alert_id
		WHERE r.gw = ? AND r.gw_alert_id = ? AND a.state IN ('open', 'acknowledged')`, gw, a.AlertID).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	err = tx.QueryRowContext(ctx, `SELECT id FROM alerts WHERE gw = ? AND button = ? AND state IN ('open', 'acknowledged')
		ORDER BY opened_at DESC LIMIT 1`, gw, a.Button).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

func applyAlert(ctx context.Context, tx *sql.Tx, e eldergate.Envelope) error {
	a, err := eldergate.DecodeAlertData(e.Data)
	if err != nil {
		return fmt.Errorf("sqlite: ingest alert %s: %w", e.ID, err)
	}
	live, err := findLiveAlert(ctx, tx, e.GW, a)
	if err != nil {
		return fmt.Errorf("sqlite: ingest alert %s: %w", e.ID, err)
	}
	at := ts(e.At)
	switch a.Action {
	case eldergate.AlertRaised:
		if live == "" {
			typ := a.Type
			if typ == "" {
				typ = "emergency"
			}
			live = e.ID
			if _, err := tx.ExecContext(ctx, `INSERT INTO alerts (id, gw, site, button, type, place, state, presses,
				opened_at, last_at, gw_alert_id) VALUES (?, ?, ?, ?, ?, ?, 'open', 1, ?, ?, ?)`,
				live, e.GW, e.Site, a.Button, typ, a.Place, at, at, a.AlertID); err != nil {
				return fmt.Errorf("sqlite: ingest alert %s: open: %w", e.ID, err)
			}
		} else {
			if _, err := tx.ExecContext(ctx, `UPDATE alerts SET presses = presses + 1,
				last_at = CASE WHEN last_at < ? THEN ? ELSE last_at END WHERE id = ?`, at, at, live); err != nil {
				return fmt.Errorf("sqlite: ingest alert %s: merge: %w", e.ID, err)
			}
		}
	case eldergate.AlertCancelled:
		if live == "" {
			return nil // nothing live to cancel; the event itself is kept
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET state = 'false_alarm', closed_at = ?, closed_by = 'gateway'
			WHERE id = ?`, at, live); err != nil {
			return fmt.Errorf("sqlite: ingest alert %s: cancel: %w", e.ID, err)
		}
	default:
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_refs (gw, gw_alert_id, alert_id) VALUES (?, ?, ?)
		ON CONFLICT (gw, gw_alert_id) DO UPDATE SET alert_id = excluded.alert_id`, e.GW, a.AlertID, live); err != nil {
		return fmt.Errorf("sqlite: ingest alert %s: ref: %w", e.ID, err)
	}
	return nil
}

// RecordRejection implements domain.Store.
func (s *Store) RecordRejection(ctx context.Context, gw, reason, eventID string, payloadPrefix []byte, at time.Time) error {
	if len(payloadPrefix) > maxPrefix {
		payloadPrefix = payloadPrefix[:maxPrefix]
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO rejections (gw, event_id, reason, payload_prefix, at) VALUES (?, ?, ?, ?, ?)`,
		gw, eventID, reason, payloadPrefix, ts(at))
	if err != nil {
		return fmt.Errorf("sqlite: record rejection: %w", err)
	}
	return nil
}

// ApplyGatewayState implements domain.Store.
func (s *Store) ApplyGatewayState(ctx context.Context, gw string, st eldergate.State, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO gateways (id, online, boot, version, state_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET online = excluded.online, boot = excluded.boot, state_at = excluded.state_at,
			version = CASE WHEN excluded.version = '' THEN gateways.version ELSE excluded.version END
		WHERE gateways.boot < excluded.boot
			OR (gateways.boot = excluded.boot AND (gateways.state_at IS NULL OR gateways.state_at <= excluded.state_at))`,
		gw, st.Online, int64(st.Boot), st.Version, ts(at), ts(at))
	if err != nil {
		return false, fmt.Errorf("sqlite: gateway state %s: %w", gw, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: gateway state %s: %w", gw, err)
	}
	if n > 0 && st.Online { // a birth: what the gateway runs (desired.go)
		if err := s.applyReported(ctx, gw, st, at); err != nil {
			return true, err
		}
	}
	return n > 0, nil
}

// ListGateways implements domain.Store.
func (s *Store) ListGateways(ctx context.Context, scope string) ([]domain.Gateway, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT g.id, g.site, g.online, g.boot, g.version, g.state_at, g.last_event_at,
			g.clock_skew_ms, COALESCE(g.seq_min, 0), COALESCE(g.seq_max, 0), g.seq_count
		FROM gateways g
		WHERE `+inScope("g.site")+` ORDER BY g.id LIMIT ?2`, scope, domain.ListLimit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list gateways: %w", err)
	}
	defer rows.Close()
	out := []domain.Gateway{}
	for rows.Next() {
		var g domain.Gateway
		var boot int64
		var stateAt, lastEv sql.NullString
		var skew sql.NullInt64
		var lo, hi, n int64
		if err := rows.Scan(&g.ID, &g.Site, &g.Online, &boot, &g.Version, &stateAt, &lastEv,
			&skew, &lo, &hi, &n); err != nil {
			return nil, fmt.Errorf("sqlite: list gateways: %w", err)
		}
		if skew.Valid {
			g.ClockSkewMs = &skew.Int64
		}
		st := domain.NewSeqStats(lo, hi, n)
		g.SeqMax, g.SeqGaps = st.Max, st.Gaps
		g.Boot = uint64(boot)
		if g.StateAt, err = parseNullTS(stateAt); err != nil {
			return nil, err
		}
		if g.LastEventAt, err = parseNullTS(lastEv); err != nil {
			return nil, err
		}
		g.LastSeen = domain.Later(g.StateAt, g.LastEventAt)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list gateways: %w", err)
	}
	return out, nil
}

// ListMeals implements domain.Store.
func (s *Store) ListMeals(ctx context.Context, scope string) ([]domain.Meal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT event_id, gw, site, elder_id, window, day, decision, reason,
		price_fen, subsidy_fen, pay_fen, weight_g, policy_version, at, received_at
		FROM meals WHERE `+inScope("site")+` ORDER BY at DESC, event_id DESC LIMIT ?2`, scope, domain.ListLimit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list meals: %w", err)
	}
	defer rows.Close()
	out := []domain.Meal{}
	for rows.Next() {
		var m domain.Meal
		var price, subsidy, pay int64
		var at, rat string
		if err := rows.Scan(&m.EventID, &m.GW, &m.Site, &m.ElderID, &m.Window, &m.Day, &m.Decision, &m.Reason,
			&price, &subsidy, &pay, &m.WeightG, &m.PolicyVer, &at, &rat); err != nil {
			return nil, fmt.Errorf("sqlite: list meals: %w", err)
		}
		m.PriceFen, m.SubsidyFen, m.PayFen = eldergate.Fen(price), eldergate.Fen(subsidy), eldergate.Fen(pay)
		if m.At, err = parseTS(at); err != nil {
			return nil, err
		}
		if m.ReceivedAt, err = parseTS(rat); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list meals: %w", err)
	}
	return out, nil
}

// ListAlerts implements domain.Store.
func (s *Store) ListAlerts(ctx context.Context, scope string) ([]domain.Alert, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, gw, site, button, type, place, state, presses,
		opened_at, last_at, acked_at, acked_by, closed_at, gw_alert_id
		FROM alerts WHERE `+inScope("site")+` ORDER BY opened_at DESC, id DESC LIMIT ?2`, scope, domain.ListLimit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list alerts: %w", err)
	}
	defer rows.Close()
	out := []domain.Alert{}
	for rows.Next() {
		var a domain.Alert
		var state, opened, last string
		var acked, closed sql.NullString
		if err := rows.Scan(&a.ID, &a.GW, &a.Site, &a.Button, &a.Type, &a.Place, &state, &a.Presses,
			&opened, &last, &acked, &a.AckedBy, &closed, &a.GWAlertID); err != nil {
			return nil, fmt.Errorf("sqlite: list alerts: %w", err)
		}
		a.State = domain.AlertState(state)
		a.FirstEvent = a.ID
		if a.OpenedAt, err = parseTS(opened); err != nil {
			return nil, err
		}
		if a.LastAt, err = parseTS(last); err != nil {
			return nil, err
		}
		if a.AckedAt, err = parseNullTS(acked); err != nil {
			return nil, err
		}
		if a.ClosedAt, err = parseNullTS(closed); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list alerts: %w", err)
	}
	return out, nil
}

// AckAlert implements domain.Store.
func (s *Store) AckAlert(ctx context.Context, alertID, by string, at time.Time) error {
	return s.transition(ctx, "ack", alertID, `UPDATE alerts SET state = 'acknowledged', acked_at = ?, acked_by = ?
		WHERE id = ? AND state = 'open'`, ts(at), by, alertID)
}

// ResolveAlert implements domain.Store.
func (s *Store) ResolveAlert(ctx context.Context, alertID, by string, at time.Time) error {
	return s.transition(ctx, "resolve", alertID, `UPDATE alerts SET state = 'resolved', closed_at = ?, closed_by = ?,
		acked_at = COALESCE(acked_at, ?), acked_by = CASE WHEN acked_by = '' THEN ? ELSE acked_by END
		WHERE id = ? AND state IN ('open', 'acknowledged')`, ts(at), by, ts(at), by, alertID)
}

func (s *Store) transition(ctx context.Context, op, alertID, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s alert %s: %w", op, alertID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s alert %s: %w", op, alertID, err)
	}
	if n == 1 {
		return nil
	}
	var state string
	err = s.db.QueryRowContext(ctx, `SELECT state FROM alerts WHERE id = ?`, alertID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s alert %s: %w", op, alertID, domain.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s alert %s: %w", op, alertID, err)
	}
	return fmt.Errorf("sqlite: %s alert %s: state is %s: %w", op, alertID, state, domain.ErrConflict)
}

// ListRejections implements domain.Store.
func (s *Store) ListRejections(ctx context.Context, scope string) ([]domain.Rejection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, gw, event_id, reason, payload_prefix, at
		FROM rejections
		WHERE (?1 = '' OR gw IN (SELECT g.id FROM gateways g WHERE `+inScope("g.site")+`)) ORDER BY id DESC LIMIT ?2`, scope, domain.ListLimit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list rejections: %w", err)
	}
	defer rows.Close()
	out := []domain.Rejection{}
	for rows.Next() {
		var r domain.Rejection
		var prefix []byte
		var at string
		if err := rows.Scan(&r.ID, &r.GW, &r.EventID, &r.Reason, &prefix, &at); err != nil {
			return nil, fmt.Errorf("sqlite: list rejections: %w", err)
		}
		r.PayloadPrefix = strings.ToValidUTF8(string(prefix), "\uFFFD")
		if r.At, err = parseTS(at); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list rejections: %w", err)
	}
	return out, nil
}

// CountEvents implements domain.Store.
func (s *Store) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count events: %w", err)
	}
	return n, nil
}

// GatewaySeq implements domain.Store.
func (s *Store) GatewaySeq(ctx context.Context, gw string) (domain.SeqStats, error) {
	var lo, hi, n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(seq_min, 0), COALESCE(seq_max, 0), seq_count
		FROM gateways WHERE id = ?`, gw).Scan(&lo, &hi, &n); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return domain.SeqStats{}, fmt.Errorf("sqlite: gateway seq %s: %w", gw, err)
	}
	return domain.NewSeqStats(lo, hi, n), nil
}
