// Package postgres is the PostgreSQL implementation of the cloud store:
// the shared SQL layer (cloud/sqlstore) on pgx v5 (through its
// database/sql adapter), with PostgreSQL's dialect and migrations, and
// its own batch ingest (one statement over arrays). It passes the same
// suite as cloud/sqlite (cloud/storetest).
//
// Times are stored as timestamptz and always written in UTC; PostgreSQL
// keeps microseconds, so nanoseconds are truncated. Money is bigint fen.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// IsDSN reports whether s names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a SQLite directory.
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Store is the PostgreSQL store. It implements domain.Store.
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
}

var _ domain.Store = (*Store)(nil)

// clean makes s storable in a text column: valid UTF-8 without NUL bytes.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// Dialect is PostgreSQL's: $N placeholders, timestamptz, advisory and
// row locks for concurrent writers.
var Dialect = &sqlstore.Dialect{
	Name:       "postgres",
	Numbered:   true,
	EncodeTime: func(t time.Time) any { return t },
	Precision:  time.Microsecond,
	IsUnique: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	Text:    clean,
	LockSQL: `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`,
	// Ingest and a close of a settlement month exclude each other on the
	// meals and voids (sqlstore.settleLock).
	TableLockSQL: `LOCK TABLE %s IN %s MODE`,
	ForUpdate:    "FOR UPDATE OF",
	Least:        "LEAST",
	Greatest:     "GREATEST",
	ByteOrder:    `COLLATE "C"`,
	ReadTx:       &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	TimeType:     "timestamptz",
	// SET LOCAL: for this read transaction only.
	AnalyticsSQL: `SET LOCAL work_mem = '64MB'`,
	Arrays:       true,
}

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
	st, err := sqlstore.Open(ctx, stdlib.OpenDBFromPool(pool), Dialect, migrations)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{Store: st, pool: pool}, nil
}

// Close closes the database and its pool.
func (s *Store) Close() error {
	err := s.Store.Close()
	s.pool.Close()
	return err
}

// IngestBatch implements domain.Store.
func (s *Store) IngestBatch(ctx context.Context, gw string, events []eldergate.Envelope, receivedAt time.Time) ([]string, error) {
	return sqlstore.IngestOne(ctx, s.IngestBatches, gw, events, receivedAt)
}

// ingestRow is one event of IngestBatches with the batch it came in.
type ingestRow struct {
	batch int
	e     *eldergate.Envelope
}

// ingestSet is what one IngestBatches call stores: every event of its
// batches that is its batch's gateway's, and the first occurrence of each
// id (meals: their meal data, decoded once).
type ingestSet struct {
	rows  []ingestRow
	first map[string]*eldergate.Envelope
	order []*eldergate.Envelope // first occurrences, in call order
	meals []*eldergate.Envelope // the meal events among order
	meal  map[string]eldergate.MealData
}

// IngestBatches implements domain.Store. One transaction per call, on one
// connection: the settlement columns of the meals (sqlstore.MealColumns);
// then, for a call of at least copyMinEvents events, one probe for the ids
// already stored (SELECT … WHERE id = ANY) and the fresh events and meal
// rows written by binary COPY, in id order (ADR 0036). A smaller call, and
// one whose COPY met a row another transaction stored since the probe
// (unique violation, or a deadlock: the transaction is redone), goes in
// with the insert-if-absent statement (one data-modifying CTE over arrays,
// ON CONFLICT DO NOTHING). Alerts are then applied in order, and the
// gateway rows (last batch, skew, sequence counters) updated in one
// statement, in gateway order. Figures: docs/PERFORMANCE.md
// ("ingest-store").
func (s *Store) IngestBatches(ctx context.Context, batches []domain.GatewayBatch, receivedAt time.Time) ([][]string, error) {
	set := ingestSet{first: map[string]*eldergate.Envelope{}, meal: map[string]eldergate.MealData{}}
	for i := range batches {
		for j := range batches[i].Events {
			e := &batches[i].Events[j]
			if e.GW != batches[i].GW {
				continue // another gateway's event is never committed for it
			}
			set.rows = append(set.rows, ingestRow{batch: i, e: e})
			if set.first[e.ID] != nil {
				continue
			}
			set.first[e.ID] = e
			set.order = append(set.order, e)
			if e.Kind == eldergate.KindMeal {
				m, err := e.Meal()
				if err != nil {
					return nil, fmt.Errorf("postgres: ingest meal %s: %w", e.ID, err)
				}
				set.meals = append(set.meals, e)
				set.meal[e.ID] = m
			}
		}
	}
	if len(set.rows) == 0 {
		out := make([][]string, len(batches))
		for i := range out {
			out[i] = []string{}
		}
		return out, nil
	}
	rat := receivedAt.UTC()
	viaCopy := len(set.order) >= copyMinEvents
	out, err := s.ingest(ctx, len(batches), &set, rat, viaCopy)
	if err != nil && viaCopy && copyRace(err) {
		return s.ingest(ctx, len(batches), &set, rat, false)
	}
	return out, err
}

// copyMinEvents is the smallest call written by COPY: a smaller one
// (live taps, a few events per gateway) costs fewer round trips as one
// insert-if-absent statement than as a probe and two COPYs.
const copyMinEvents = 64

// copyRace reports whether err is a COPY's clash with a concurrent
// ingest: a row stored since the probe (unique violation) or a deadlock.
func copyRace(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "40P01")
}

// ingest stores set in one transaction: by COPY after a probe (viaCopy),
// or by the insert-if-absent statement.
func (s *Store) ingest(ctx context.Context, nBatches int, set *ingestSet, rat time.Time, viaCopy bool) ([][]string, error) {
	out := make([][]string, nBatches)
	for i := range out {
		out[i] = []string{}
	}
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: ingest: %w", err)
	}
	defer conn.Close()
	tx, err := s.BeginOn(ctx, conn, nil)
	if err != nil {
		return nil, fmt.Errorf("postgres: ingest: %w", err)
	}
	defer tx.Rollback()

	// The settlement columns of the meals (shared with SQLite).
	cols, err := s.MealColumns(ctx, tx.Conn, set.meals)
	if err != nil {
		return nil, err
	}
	// fresh: stored by this transaction; owner: the gateway of every id
	// (the first occurrence's for a fresh one, the stored row's for an id
	// stored before: acknowledged again, but only to its owner).
	fresh := make(map[string]bool, len(set.first))
	owner := make(map[string]string, len(set.first))
	if viaCopy {
		ids := make([]string, len(set.order))
		for i, e := range set.order {
			ids[i] = e.ID
		}
		q, err := tx.Query(ctx, `SELECT id, gw FROM events WHERE id = ANY($1)`, ids)
		if err != nil {
			return nil, fmt.Errorf("postgres: ingest: stored events: %w", err)
		}
		if err := eachRow(q, func(id, gw string) { owner[id] = gw }); err != nil {
			return nil, fmt.Errorf("postgres: ingest: stored events: %w", err)
		}
		var evs []*eldergate.Envelope
		for _, e := range set.order {
			if _, ok := owner[e.ID]; !ok {
				evs = append(evs, e)
			}
		}
		if err := s.copyEvents(ctx, conn, evs, set.meal, cols, rat); err != nil {
			return nil, err
		}
		for _, e := range evs {
			fresh[e.ID] = true
			owner[e.ID] = e.GW
		}
	} else if err := s.insertIfAbsent(ctx, tx, set, cols, rat, fresh, owner); err != nil {
		return nil, err
	}

	tally := map[string]*sqlstore.GatewayTally{}
	var freshEvents []*eldergate.Envelope // stored now, for RecordSettlement
	for _, r := range set.rows {
		e := r.e
		t := tally[e.GW]
		if t == nil {
			t = &sqlstore.GatewayTally{}
			tally[e.GW] = t
		}
		t.Seen(e, rat)
		if owner[e.ID] != e.GW {
			continue
		}
		out[r.batch] = append(out[r.batch], e.ID)
		if !fresh[e.ID] || set.first[e.ID] != e {
			continue // stored before, or a repeat of an event of this call
		}
		if e.Kind == eldergate.KindAlert {
			if err := s.ApplyAlert(ctx, tx.Conn, *e); err != nil {
				return nil, err
			}
		}
		freshEvents = append(freshEvents, e)
		t.Add(e.Seq)
	}
	if err := s.RecordSettlement(ctx, tx.Conn, freshEvents, cols, rat); err != nil {
		return nil, err
	}
	if err := s.RecordUpdates(ctx, tx.Conn, freshEvents, rat); err != nil { // sqlstore/releases.go
		return nil, err
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
	if err := s.BatchPresence(ctx, tx.Conn, gws, rat); err != nil {
		return nil, err
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
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("postgres: ingest: commit: %w", err)
	}
	return out, nil
}

// The columns COPY writes.
var (
	eventCopyCols = []string{"id", "gw", "kind", "site", "seq", "boot", "at", "clock", "data", "received_at"}
	mealCopyCols  = []string{"event_id", "gw", "site", "elder_id", "window", "day", "decision", "reason",
		"price_fen", "subsidy_fen", "pay_fen", "weight_g", "policy_version", "at", "received_at",
		"rule", "discount_fen", "operating_fen", "operating_by", "manual", "staff", "price_source", "category", "outside", "adjust_month"}
)

// copyEvents writes evs (none stored before) into events and their meal
// rows into meals by binary COPY on conn, inside the transaction open on
// it, in id order (two transactions meeting on an id wait in one order).
func (s *Store) copyEvents(ctx context.Context, conn *sql.Conn, evs []*eldergate.Envelope, meal map[string]eldergate.MealData,
	cols map[string]sqlstore.MealCols, rat time.Time) error {
	if len(evs) == 0 {
		return nil
	}
	slices.SortFunc(evs, func(a, b *eldergate.Envelope) int { return strings.Compare(a.ID, b.ID) })
	var meals []*eldergate.Envelope
	for _, e := range evs {
		if _, ok := meal[e.ID]; ok {
			meals = append(meals, e)
		}
	}
	row := make([]any, len(mealCopyCols)) // reused: pgx encodes each row before asking for the next
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{"events"}, eventCopyCols, pgx.CopyFromSlice(len(evs), func(i int) ([]any, error) {
			e := evs[i]
			r := row[:len(eventCopyCols)]
			r[0], r[1], r[2], r[3], r[4] = e.ID, e.GW, string(e.Kind), e.Site, int64(e.Seq)
			r[5], r[6], r[7], r[8], r[9] = int64(e.Boot), e.At.UTC(), e.Clock, string(e.Data), rat
			return r, nil
		})); err != nil {
			return fmt.Errorf("postgres: ingest: copy events: %w", err)
		}
		if len(meals) == 0 {
			return nil
		}
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{"meals"}, mealCopyCols, pgx.CopyFromSlice(len(meals), func(i int) ([]any, error) {
			e := meals[i]
			m, c := meal[e.ID], cols[e.ID]
			r := row
			r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = e.ID, e.GW, e.Site, m.ElderID, m.Window, m.Day, m.Decision, m.Reason
			r[8], r[9], r[10], r[11], r[12] = int64(m.PriceFen), int64(m.SubsidyFen), int64(m.PayFen), m.WeightG, m.PolicyVer
			r[13], r[14] = e.At.UTC(), rat
			r[15], r[16], r[17], r[18], r[19] = c.Rule, c.DiscountFen, c.OperatingFen, c.OperatingBy, c.Manual
			r[20], r[21], r[22], r[23], r[24] = c.Staff, c.PriceSource, c.Category, c.Outside, c.Adjust
			return r, nil
		})); err != nil {
			return fmt.Errorf("postgres: ingest: copy meals: %w", err)
		}
		return nil
	})
}

// insertIfAbsent stores the events of set not stored yet with one
// statement (insert-if-absent over arrays, in id order) and fills fresh
// and owner: the path when COPY met a concurrent ingest.
func (s *Store) insertIfAbsent(ctx context.Context, tx *sqlstore.Tx, set *ingestSet, cols map[string]sqlstore.MealCols, rat time.Time,
	fresh map[string]bool, owner map[string]string) error {
	var ev eventArrays
	var ml mealArrays
	for _, e := range set.order {
		ev.add(e)
	}
	for _, e := range set.meals {
		ml.add(e, set.meal[e.ID])
	}
	ml.addCols(cols)
	q, err := tx.Query(ctx, `WITH ins AS (
			INSERT INTO events (id, gw, kind, site, seq, boot, at, clock, data, received_at)
			SELECT u.*, $10::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[],
				$6::int8[], $7::timestamptz[], $8::text[], $9::text[]) AS u (id, gw, kind, site, seq, boot, at, clock, data)
			ORDER BY u.id
			ON CONFLICT (id) DO NOTHING RETURNING id
		), meal AS (
			INSERT INTO meals (event_id, gw, site, elder_id, "window", day, decision, reason,
				price_fen, subsidy_fen, pay_fen, weight_g, policy_version, at,
				rule, discount_fen, operating_fen, operating_by, manual, staff, price_source, category, outside, adjust_month, received_at)
			SELECT m.*, $10::timestamptz FROM unnest($11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
				$16::text[], $17::text[], $18::text[], $19::int8[], $20::int8[], $21::int8[], $22::int8[], $23::text[],
				$24::timestamptz[], $25::text[], $26::int8[], $27::int8[], $28::text[], $29::int8[], $30::text[], $31::text[],
				$32::text[], $33::int8[], $34::text[]) AS m (event_id, gw, site, elder_id, "window", day, decision, reason,
				price_fen, subsidy_fen, pay_fen, weight_g, policy_version, at,
				rule, discount_fen, operating_fen, operating_by, manual, staff, price_source, category, outside, adjust_month)
			WHERE m.event_id IN (SELECT id FROM ins)
		)
		SELECT id, '' FROM ins`,
		ev.id, ev.gw, ev.kind, ev.site, ev.seq, ev.boot, ev.at, ev.clock, ev.data, rat,
		ml.id, ml.gw, ml.site, ml.elder, ml.window, ml.day, ml.decision, ml.reason,
		ml.price, ml.subsidy, ml.pay, ml.weight, ml.policy, ml.at,
		ml.rule, ml.discount, ml.operating, ml.operatingBy, ml.manual, ml.staff, ml.priceSource, ml.category, ml.outside, ml.adjust)
	if err != nil {
		return fmt.Errorf("postgres: ingest: insert events: %w", err)
	}
	if err := eachRow(q, func(id, _ string) { fresh[id] = true }); err != nil {
		return fmt.Errorf("postgres: ingest: insert events: %w", err)
	}
	var old []string
	for id, e := range set.first {
		if fresh[id] {
			owner[id] = e.GW
		} else {
			old = append(old, id)
		}
	}
	if len(old) == 0 {
		return nil
	}
	q, err = tx.Query(ctx, `SELECT id, gw FROM events WHERE id = ANY($1)`, old)
	if err != nil {
		return fmt.Errorf("postgres: ingest: old events: %w", err)
	}
	if err := eachRow(q, func(id, gw string) { owner[id] = gw }); err != nil {
		return fmt.Errorf("postgres: ingest: old events: %w", err)
	}
	return nil
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
	// The settlement columns (sqlstore.MealColumns), set by addCols.
	rule, operatingBy, staff, priceSource, category, adjust []string
	discount, operating, manual, outside                    []int64
}

// addCols sets the settlement columns of the meals added, from cols.
func (a *mealArrays) addCols(cols map[string]sqlstore.MealCols) {
	for _, id := range a.id {
		c := cols[id]
		a.rule = append(a.rule, c.Rule)
		a.adjust = append(a.adjust, c.Adjust)
		a.discount = append(a.discount, c.DiscountFen)
		a.operating = append(a.operating, c.OperatingFen)
		a.operatingBy = append(a.operatingBy, c.OperatingBy)
		a.manual = append(a.manual, c.Manual)
		a.staff = append(a.staff, c.Staff)
		a.priceSource = append(a.priceSource, c.PriceSource)
		a.category = append(a.category, c.Category)
		a.outside = append(a.outside, c.Outside)
	}
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

func (a *gatewayArrays) add(gw string, t *sqlstore.GatewayTally) {
	lo, hi := t.SeqRange()
	a.id = append(a.id, gw)
	a.site = append(a.site, t.Site)
	a.skew = append(a.skew, t.Skew)
	a.n = append(a.n, t.N)
	a.lo, a.hi = append(a.lo, lo), append(a.hi, hi)
}

// eachRow calls f with the two text columns of every row of q.
func eachRow(q *sql.Rows, f func(a, b string)) error {
	defer q.Close()
	var a, b string
	for q.Next() {
		if err := q.Scan(&a, &b); err != nil {
			return err
		}
		f(a, b)
	}
	return q.Err()
}
