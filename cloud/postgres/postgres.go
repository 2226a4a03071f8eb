// Package postgres is the PostgreSQL implementation of the cloud store
// (pgx v5). It has the same semantics as cloud/sqlite and passes the same
// suite (cloud/storetest).
//
// Times are stored as timestamptz and always written in UTC; PostgreSQL
// keeps microseconds, so nanoseconds are truncated. Money is bigint fen.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxPrefix bounds the payload prefix kept in the dead-letter table.
const maxPrefix = 512

// migrateLockKey is the advisory lock that serialises migrations of
// several cloud processes starting at once on one database.
const migrateLockKey = 0x656c6465 // "elde"

// IsDSN reports whether s names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a SQLite directory.
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Store is the PostgreSQL store. It implements domain.Store.
type Store struct {
	pool *pgxpool.Pool
}

var _ domain.Store = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value connection string) and migrates it.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	if cfg.MaxConns < 4 {
		cfg.MaxConns = 4
	}
	cfg.MaxConnIdleTime = time.Minute
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	sort.Strings(names)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLockKey)); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, name := range names {
		base := filepath.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("postgres: migrate: bad migration name %q", base)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_version WHERE version = $1`, v).Scan(&n); err != nil {
			return fmt.Errorf("postgres: migrate %s: %w", base, err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("postgres: migrate %s: %w", base, err)
		}
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("postgres: migrate %s: %w", base, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)`,
			v, base, time.Now().UTC()); err != nil {
			return fmt.Errorf("postgres: migrate %s: %w", base, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: commit: %w", err)
	}
	return nil
}

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// clean makes s storable in a text column: valid UTF-8 without NUL bytes.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// UpsertGateway implements domain.Store.
func (s *Store) UpsertGateway(ctx context.Context, c domain.GatewayCredential) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO gateways (id, site, secret_hash, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET site = excluded.site, secret_hash = excluded.secret_hash`,
		c.ID, c.Site, c.SecretHash, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("postgres: upsert gateway %s: %w", c.ID, err)
	}
	return nil
}

// GatewayCredential implements domain.Store.
func (s *Store) GatewayCredential(ctx context.Context, id string) (domain.GatewayCredential, error) {
	c := domain.GatewayCredential{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT site, secret_hash, revoked_at FROM gateways WHERE id = $1`, id).Scan(&c.Site, &c.SecretHash, &c.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("postgres: gateway %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("postgres: gateway %s: %w", id, err)
	}
	c.RevokedAt = utcPtr(c.RevokedAt)
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

// ingestRow is one event of IngestBatches with the batch it came in.
type ingestRow struct {
	batch int
	e     *eldergate.Envelope
}

// gwTally is what one transaction of IngestBatches adds to a gateway row.
type gwTally struct {
	domain.SeqTally // the events stored fresh
	site            string
	skew            int64 // receipt minus at, smallest (see domain.Gateway)
	haveSkew        bool
}

// IngestBatches implements domain.Store. The events of all batches, each
// id once (the first occurrence), go in ONE statement as arrays: a
// data-modifying CTE inserts them into events in id order (so concurrent
// transactions never wait on each other's ids in opposite orders) with ON
// CONFLICT DO NOTHING, and inserts the meal rows of the fresh ones. Alerts
// are then applied in order, and the gateway rows (last batch, skew,
// sequence counters) updated in one statement, in gateway order. Measured
// against COPY into a staging table: docs/PERFORMANCE.md.
func (s *Store) IngestBatches(ctx context.Context, batches []domain.GatewayBatch, receivedAt time.Time) ([][]string, error) {
	out := make([][]string, len(batches))
	var rows []ingestRow
	first := map[string]*eldergate.Envelope{} // id -> its first occurrence
	var ev eventArrays
	var ml mealArrays
	for i := range batches {
		out[i] = []string{}
		for j := range batches[i].Events {
			e := &batches[i].Events[j]
			if e.GW != batches[i].GW {
				continue // another gateway's event is never committed for it
			}
			rows = append(rows, ingestRow{batch: i, e: e})
			if first[e.ID] != nil {
				continue
			}
			first[e.ID] = e
			ev.add(e)
			if e.Kind == eldergate.KindMeal {
				m, err := e.Meal()
				if err != nil {
					return nil, fmt.Errorf("postgres: ingest meal %s: %w", e.ID, err)
				}
				ml.add(e, m)
			}
		}
	}
	if len(rows) == 0 {
		return out, nil
	}
	rat := receivedAt.UTC()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: ingest: %w", err)
	}
	defer tx.Rollback(ctx)

	q, err := tx.Query(ctx, `WITH ins AS (
			INSERT INTO events (id, gw, kind, site, seq, boot, at, clock, data, received_at)
			SELECT u.*, $10::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[],
				$6::int8[], $7::timestamptz[], $8::text[], $9::text[]) AS u (id, gw, kind, site, seq, boot, at, clock, data)
			ORDER BY u.id
			ON CONFLICT (id) DO NOTHING RETURNING id
		), meal AS (
			INSERT INTO meals (event_id, gw, site, elder_id, "window", day, decision, reason,
				price_fen, subsidy_fen, pay_fen, weight_g, policy_version, at, received_at)
			SELECT m.*, $10::timestamptz FROM unnest($11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
				$16::text[], $17::text[], $18::text[], $19::int8[], $20::int8[], $21::int8[], $22::int8[], $23::text[],
				$24::timestamptz[]) AS m (event_id, gw, site, elder_id, "window", day, decision, reason,
				price_fen, subsidy_fen, pay_fen, weight_g, policy_version, at)
			WHERE m.event_id IN (SELECT id FROM ins)
		)
		SELECT id FROM ins`,
		ev.id, ev.gw, ev.kind, ev.site, ev.seq, ev.boot, ev.at, ev.clock, ev.data, rat,
		ml.id, ml.gw, ml.site, ml.elder, ml.window, ml.day, ml.decision, ml.reason,
		ml.price, ml.subsidy, ml.pay, ml.weight, ml.policy, ml.at)
	if err != nil {
		return nil, fmt.Errorf("postgres: ingest: insert events: %w", err)
	}
	inserted, err := pgx.CollectRows(q, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: ingest: insert events: %w", err)
	}
	fresh := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		fresh[id] = true
	}
	// The owner of every id: the first occurrence's gateway for a fresh
	// one, the stored row's for an id stored before (acknowledged again,
	// but only to its owner).
	owner := make(map[string]string, len(first))
	var old []string
	for id, e := range first {
		if fresh[id] {
			owner[id] = e.GW
		} else {
			old = append(old, id)
		}
	}
	if len(old) > 0 {
		q, err := tx.Query(ctx, `SELECT id, gw FROM events WHERE id = ANY($1)`, old)
		if err != nil {
			return nil, fmt.Errorf("postgres: ingest: old events: %w", err)
		}
		var id, gw string
		if _, err := pgx.ForEachRow(q, []any{&id, &gw}, func() error { owner[id] = gw; return nil }); err != nil {
			return nil, fmt.Errorf("postgres: ingest: old events: %w", err)
		}
	}

	tally := map[string]*gwTally{}
	for _, r := range rows {
		e := r.e
		t := tally[e.GW]
		if t == nil {
			t = &gwTally{}
			tally[e.GW] = t
		}
		t.site = e.Site
		if d := rat.Sub(e.At).Milliseconds(); !t.haveSkew || d < t.skew {
			t.skew, t.haveSkew = d, true
		}
		if owner[e.ID] != e.GW {
			continue
		}
		out[r.batch] = append(out[r.batch], e.ID)
		if !fresh[e.ID] || first[e.ID] != e {
			continue // stored before, or a repeat of an event of this call
		}
		if e.Kind == eldergate.KindAlert {
			if err := applyAlert(ctx, tx, *e); err != nil {
				return nil, err
			}
		}
		t.Add(e.Seq)
	}
	// Gateway rows in id order: two transactions never wait on each
	// other's gateway rows in opposite orders.
	gws := make([]string, 0, len(tally))
	for gw := range tally {
		gws = append(gws, gw)
	}
	slices.Sort(gws)
	var g gatewayArrays
	for _, gw := range gws {
		g.add(gw, tally[gw])
	}
	if _, err := tx.Exec(ctx, `INSERT INTO gateways (id, site, created_at, last_event_at, clock_skew_ms, seq_min, seq_max, seq_count)
		SELECT u.id, u.site, $7::timestamptz, $7::timestamptz, u.skew, u.lo, u.hi, u.n
		FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[])
			AS u (id, site, skew, lo, hi, n)
		ORDER BY u.id
		ON CONFLICT (id) DO UPDATE SET last_event_at = excluded.last_event_at,
			clock_skew_ms = excluded.clock_skew_ms,
			online = CASE WHEN gateways.state_at IS NULL OR gateways.state_at < excluded.last_event_at
				THEN true ELSE gateways.online END,
			site = CASE WHEN gateways.site = '' THEN excluded.site ELSE gateways.site END,
			seq_min = LEAST(gateways.seq_min, excluded.seq_min),
			seq_max = GREATEST(gateways.seq_max, excluded.seq_max),
			seq_count = gateways.seq_count + excluded.seq_count`,
		g.id, g.site, g.skew, g.lo, g.hi, g.n, rat); err != nil {
		return nil, fmt.Errorf("postgres: ingest: gateways: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres: ingest: commit: %w", err)
	}
	return out, nil
}

// eventArrays are the columns of the events of one IngestBatches call.
type eventArrays struct {
	id, gw, kind, site, clock, data []string
	seq, boot                       []int64
	at                              []time.Time
}

func (a *eventArrays) add(e *eldergate.Envelope) {
	a.id = append(a.id, e.ID)
	a.gw = append(a.gw, e.GW)
	a.kind = append(a.kind, string(e.Kind))
	a.site = append(a.site, e.Site)
	a.seq = append(a.seq, int64(e.Seq))
	a.boot = append(a.boot, int64(e.Boot))
	a.at = append(a.at, e.At.UTC())
	a.clock = append(a.clock, e.Clock)
	a.data = append(a.data, string(e.Data))
}

// mealArrays are the columns of the meals of one IngestBatches call.
type mealArrays struct {
	id, gw, site, elder, window, day, decision, reason, policy []string
	price, subsidy, pay, weight                                []int64
	at                                                         []time.Time
}

func (a *mealArrays) add(e *eldergate.Envelope, m eldergate.MealData) {
	a.id = append(a.id, e.ID)
	a.gw = append(a.gw, e.GW)
	a.site = append(a.site, e.Site)
	a.elder = append(a.elder, m.ElderID)
	a.window = append(a.window, m.Window)
	a.day = append(a.day, m.Day)
	a.decision = append(a.decision, m.Decision)
	a.reason = append(a.reason, m.Reason)
	a.price = append(a.price, int64(m.PriceFen))
	a.subsidy = append(a.subsidy, int64(m.SubsidyFen))
	a.pay = append(a.pay, int64(m.PayFen))
	a.weight = append(a.weight, m.WeightG)
	a.policy = append(a.policy, m.PolicyVer)
	a.at = append(a.at, e.At.UTC())
}

// gatewayArrays are the gateway rows of one IngestBatches call; lo and hi
// are NULL when nothing new was stored (LEAST/GREATEST ignore NULL).
type gatewayArrays struct {
	id, site []string
	skew, n  []int64
	lo, hi   []*int64
}

func (a *gatewayArrays) add(gw string, t *gwTally) {
	a.id = append(a.id, gw)
	a.site = append(a.site, t.site)
	a.skew = append(a.skew, t.skew)
	a.n = append(a.n, t.N)
	if t.N > 0 {
		lo, hi := t.Lo, t.Hi
		a.lo, a.hi = append(a.lo, &lo), append(a.hi, &hi)
	} else {
		a.lo, a.hi = append(a.lo, nil), append(a.hi, nil)
	}
}

// findLiveAlert returns the id of the open or acknowledged alert that an
// alert event of gateway gw belongs to: the one its gateway alert id maps
// to, else the live one of the same button.
func findLiveAlert(ctx context.Context, tx pgx.Tx, gw string, a eldergate.AlertData) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT a.id FROM alert_refs r JOIN alerts a ON a.id = r.alert_id
		WHERE r.gw = $1 AND r.gw_alert_id = $2 AND a.state IN ('open', 'acknowledged')`, gw, a.AlertID).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", err
	}
	err = tx.QueryRow(ctx, `SELECT id FROM alerts WHERE gw = $1 AND button = $2 AND state IN ('open', 'acknowledged')
		ORDER BY opened_at DESC LIMIT 1`, gw, a.Button).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return id, err
}

func applyAlert(ctx context.Context, tx pgx.Tx, e eldergate.Envelope) error {
	a, err := eldergate.DecodeAlertData(e.Data)
	if err != nil {
		return fmt.Errorf("postgres: ingest alert %s: %w", e.ID, err)
	}
	live, err := findLiveAlert(ctx, tx, e.GW, a)
	if err != nil {
		return fmt.Errorf("postgres: ingest alert %s: %w", e.ID, err)
	}
	at := e.At.UTC()
	switch a.Action {
	case eldergate.AlertRaised:
		if live == "" {
			typ := a.Type
			if typ == "" {
				typ = "emergency"
			}
			live = e.ID
			if _, err := tx.Exec(ctx, `INSERT INTO alerts (id, gw, site, button, type, place, state, presses,
				opened_at, last_at, gw_alert_id) VALUES ($1, $2, $3, $4, $5, $6, 'open', 1, $7, $7, $8)`,
				live, e.GW, e.Site, a.Button, typ, a.Place, at, a.AlertID); err != nil {
				return fmt.Errorf("postgres: ingest alert %s: open: %w", e.ID, err)
			}
		} else {
			if _, err := tx.Exec(ctx, `UPDATE alerts SET presses = presses + 1, last_at = GREATEST(last_at, $1)
				WHERE id = $2`, at, live); err != nil {
				return fmt.Errorf("postgres: ingest alert %s: merge: %w", e.ID, err)
			}
		}
	case eldergate.AlertCancelled:
		if live == "" {
			return nil // nothing live to cancel; the event itself is kept
		}
		if _, err := tx.Exec(ctx, `UPDATE alerts SET state = 'false_alarm', closed_at = $1, closed_by = 'gateway'
			WHERE id = $2`, at, live); err != nil {
			return fmt.Errorf("postgres: ingest alert %s: cancel: %w", e.ID, err)
		}
	default:
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO alert_refs (gw, gw_alert_id, alert_id) VALUES ($1, $2, $3)
		ON CONFLICT (gw, gw_alert_id) DO UPDATE SET alert_id = excluded.alert_id`, e.GW, a.AlertID, live); err != nil {
		return fmt.Errorf("postgres: ingest alert %s: ref: %w", e.ID, err)
	}
	return nil
}

// RecordRejection implements domain.Store.
func (s *Store) RecordRejection(ctx context.Context, gw, reason, eventID string, payloadPrefix []byte, at time.Time) error {
	if len(payloadPrefix) > maxPrefix {
		payloadPrefix = payloadPrefix[:maxPrefix]
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO rejections (gw, event_id, reason, payload_prefix, at) VALUES ($1, $2, $3, $4, $5)`,
		clean(gw), clean(eventID), clean(reason), payloadPrefix, at.UTC())
	if err != nil {
		return fmt.Errorf("postgres: record rejection: %w", err)
	}
	return nil
}

// ApplyGatewayState implements domain.Store. A state whose boot is lower
// than the stored boot is ignored.
func (s *Store) ApplyGatewayState(ctx context.Context, gw string, st eldergate.State, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO gateways (id, online, boot, version, state_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (id) DO UPDATE SET online = excluded.online, boot = excluded.boot, state_at = excluded.state_at,
			version = CASE WHEN excluded.version = '' THEN gateways.version ELSE excluded.version END
		WHERE gateways.boot < excluded.boot
			OR (gateways.boot = excluded.boot AND (gateways.state_at IS NULL OR gateways.state_at <= excluded.state_at))`,
		gw, st.Online, int64(st.Boot), st.Version, at.UTC())
	if err != nil {
		return false, fmt.Errorf("postgres: gateway state %s: %w", gw, err)
	}
	if tag.RowsAffected() > 0 && st.Online { // a birth: what the gateway runs (desired.go)
		if err := s.applyReported(ctx, gw, st, at); err != nil {
			return true, err
		}
	}
	return tag.RowsAffected() > 0, nil
}

// ListGateways implements domain.Store.
func (s *Store) ListGateways(ctx context.Context, scope string) ([]domain.Gateway, error) {
	rows, err := s.pool.Query(ctx, `SELECT g.id, g.site, g.online, g.boot, g.version, g.state_at, g.last_event_at,
			g.clock_skew_ms, COALESCE(g.seq_min, 0), COALESCE(g.seq_max, 0), g.seq_count
		FROM gateways g
		WHERE `+inScope("g.site")+` ORDER BY g.id LIMIT $2`, scope, domain.ListLimit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list gateways: %w", err)
	}
	defer rows.Close()
	out := []domain.Gateway{}
	for rows.Next() {
		var g domain.Gateway
		var boot int64
		var lo, hi, n int64
		if err := rows.Scan(&g.ID, &g.Site, &g.Online, &boot, &g.Version, &g.StateAt, &g.LastEventAt,
			&g.ClockSkewMs, &lo, &hi, &n); err != nil {
			return nil, fmt.Errorf("postgres: list gateways: %w", err)
		}
		st := domain.NewSeqStats(lo, hi, n)
		g.SeqMax, g.SeqGaps = st.Max, st.Gaps
		g.Boot = uint64(boot)
		g.StateAt, g.LastEventAt = utcPtr(g.StateAt), utcPtr(g.LastEventAt)
		g.LastSeen = domain.Later(g.StateAt, g.LastEventAt)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list gateways: %w", err)
	}
	return out, nil
}

// ListMeals implements domain.Store.
func (s *Store) ListMeals(ctx context.Context, scope string) ([]domain.Meal, error) {
	rows, err := s.pool.Query(ctx, `SELECT event_id, gw, site, elder_id, "window", day, decision, reason,
		price_fen, subsidy_fen, pay_fen, weight_g, policy_version, at, received_at
		FROM meals WHERE `+inScope("site")+` ORDER BY at DESC, event_id DESC LIMIT $2`, scope, domain.ListLimit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list meals: %w", err)
	}
	defer rows.Close()
	out := []domain.Meal{}
	for rows.Next() {
		var m domain.Meal
		var price, subsidy, pay int64
		if err := rows.Scan(&m.EventID, &m.GW, &m.Site, &m.ElderID, &m.Window, &m.Day, &m.Decision, &m.Reason,
			&price, &subsidy, &pay, &m.WeightG, &m.PolicyVer, &m.At, &m.ReceivedAt); err != nil {
			return nil, fmt.Errorf("postgres: list meals: %w", err)
		}
		m.PriceFen, m.SubsidyFen, m.PayFen = eldergate.Fen(price), eldergate.Fen(subsidy), eldergate.Fen(pay)
		m.At, m.ReceivedAt = utc(m.At), utc(m.ReceivedAt)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list meals: %w", err)
	}
	return out, nil
}

// ListAlerts implements domain.Store.
func (s *Store) ListAlerts(ctx context.Context, scope string) ([]domain.Alert, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, gw, site, button, type, place, state, presses,
		opened_at, last_at, acked_at, acked_by, closed_at, gw_alert_id
		FROM alerts WHERE `+inScope("site")+` ORDER BY opened_at DESC, id DESC LIMIT $2`, scope, domain.ListLimit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list alerts: %w", err)
	}
	defer rows.Close()
	out := []domain.Alert{}
	for rows.Next() {
		var a domain.Alert
		var state string
		if err := rows.Scan(&a.ID, &a.GW, &a.Site, &a.Button, &a.Type, &a.Place, &state, &a.Presses,
			&a.OpenedAt, &a.LastAt, &a.AckedAt, &a.AckedBy, &a.ClosedAt, &a.GWAlertID); err != nil {
			return nil, fmt.Errorf("postgres: list alerts: %w", err)
		}
		a.State = domain.AlertState(state)
		a.FirstEvent = a.ID
		a.OpenedAt, a.LastAt = utc(a.OpenedAt), utc(a.LastAt)
		a.AckedAt, a.ClosedAt = utcPtr(a.AckedAt), utcPtr(a.ClosedAt)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list alerts: %w", err)
	}
	return out, nil
}

// AckAlert implements domain.Store.
func (s *Store) AckAlert(ctx context.Context, alertID, by string, at time.Time) error {
	return s.transition(ctx, "ack", alertID, `UPDATE alerts SET state = 'acknowledged', acked_at = $1, acked_by = $2
		WHERE id = $3 AND state = 'open'`, at.UTC(), by, alertID)
}

// ResolveAlert implements domain.Store.
func (s *Store) ResolveAlert(ctx context.Context, alertID, by string, at time.Time) error {
	return s.transition(ctx, "resolve", alertID, `UPDATE alerts SET state = 'resolved', closed_at = $1, closed_by = $2,
		acked_at = COALESCE(acked_at, $1), acked_by = CASE WHEN acked_by = '' THEN $2 ELSE acked_by END
		WHERE id = $3 AND state IN ('open', 'acknowledged')`, at.UTC(), by, alertID)
}

func (s *Store) transition(ctx context.Context, op, alertID, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("postgres: %s alert %s: %w", op, alertID, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var state string
	err = s.pool.QueryRow(ctx, `SELECT state FROM alerts WHERE id = $1`, alertID).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s alert %s: %w", op, alertID, domain.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: %s alert %s: %w", op, alertID, err)
	}
	return fmt.Errorf("postgres: %s alert %s: state is %s: %w", op, alertID, state, domain.ErrConflict)
}

// ListRejections implements domain.Store.
func (s *Store) ListRejections(ctx context.Context, scope string) ([]domain.Rejection, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, gw, event_id, reason, payload_prefix, at
		FROM rejections
		WHERE ($1 = '' OR gw IN (SELECT g.id FROM gateways g WHERE `+inScope("g.site")+`)) ORDER BY id DESC LIMIT $2`, scope, domain.ListLimit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list rejections: %w", err)
	}
	defer rows.Close()
	out := []domain.Rejection{}
	for rows.Next() {
		var r domain.Rejection
		var prefix []byte
		if err := rows.Scan(&r.ID, &r.GW, &r.EventID, &r.Reason, &prefix, &r.At); err != nil {
			return nil, fmt.Errorf("postgres: list rejections: %w", err)
		}
		r.PayloadPrefix = strings.ToValidUTF8(string(prefix), "\uFFFD")
		r.At = utc(r.At)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list rejections: %w", err)
	}
	return out, nil
}

// CountEvents implements domain.Store.
func (s *Store) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count events: %w", err)
	}
	return n, nil
}

// GatewaySeq implements domain.Store.
func (s *Store) GatewaySeq(ctx context.Context, gw string) (domain.SeqStats, error) {
	var lo, hi, n int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(seq_min, 0), COALESCE(seq_max, 0), seq_count
		FROM gateways WHERE id = $1`, gw).Scan(&lo, &hi, &n); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return domain.SeqStats{}, fmt.Errorf("postgres: gateway seq %s: %w", gw, err)
	}
	return domain.NewSeqStats(lo, hi, n), nil
}
