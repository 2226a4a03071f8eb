// Package sqlite is the gateway's durable store: roster, meals, outbox and
// counters in one SQLite file (WAL, foreign keys, synchronous=FULL, one
// writer connection).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/outbox"
	_ "github.com/mattn/go-sqlite3" // database/sql driver "sqlite3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the gateway store. It is safe for concurrent use; all writes go
// through one connection.
type Store struct {
	w    *sql.DB // the one writer
	r    *sql.DB // readers
	boot uint64

	rosterKey []byte // HMAC key of resident ID numbers, set once by SetRosterKey (roster.go)
}

// Open opens (creating if needed) the database at path, applies the
// migrations and increments the persisted boot counter.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	rq := url.Values{}
	rq.Set("_foreign_keys", "on")
	rq.Set("_busy_timeout", "5000")
	rq.Set("_query_only", "true")
	r, err := sql.Open("sqlite3", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s.r = r
	if err := w.QueryRowContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'boot' RETURNING value`).Scan(&s.boot); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: increment boot counter: %w", err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Boot is the boot counter of this start (1 on the first start).
func (s *Store) Boot() uint64 { return s.boot }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	var cur int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return fmt.Errorf("sqlite: migrate: read version: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("sqlite: migrate: bad migration name %s", base)
		}
		if v <= cur {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migrate %s: %w", base, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: migrate %s: commit: %w", base, err)
		}
	}
	return nil
}

// UpsertElders inserts or updates the given elders. Elders not listed are
// kept (meals refer to them).
func (s *Store) UpsertElders(ctx context.Context, elders []eldergate.Elder) error {
	return s.SeedElders(ctx, elders) // roster.go: elders and their credentials
}

// Roster returns all elders ordered by id.
func (s *Store) Roster(ctx context.Context) ([]eldergate.Elder, error) {
	// card: the elder's first active card credential (roster.go), never a hashed one.
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, COALESCE((SELECT c.key FROM credentials c WHERE c.elder_id = elders.id
		AND c.state = 'active' AND c.key NOT LIKE 'h:%' ORDER BY c.key LIMIT 1), ''), birth, category, active
		FROM elders WHERE on_roster = 1 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: roster: %w", err)
	}
	defer rows.Close()
	var out []eldergate.Elder
	for rows.Next() {
		var e eldergate.Elder
		if err := rows.Scan(&e.ID, &e.Name, &e.Card, &e.Birth, &e.Category, &e.Active); err != nil {
			return nil, fmt.Errorf("sqlite: roster: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: roster: %w", err)
	}
	return out, nil
}

// ElderByCard looks up the elder holding credential card.
// Only an active credential matches; LookupCredential (roster.go) also
// returns lost and cancelled ones.
func (s *Store) ElderByCard(ctx context.Context, card string) (eldergate.Elder, bool, error) {
	m, ok, err := s.LookupCredential(ctx, card)
	if err != nil || !ok || m.State != eldergate.CredActive {
		return eldergate.Elder{}, false, err
	}
	return m.Elder, true, nil
}

// MealsInWindow counts the meals served (approved or paid in full, not
// refused, not voided by staff) to elder in window on the local day.
func (s *Store) MealsInWindow(ctx context.Context, elderID, day, window string) (int, error) {
	var n int
	err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM meals WHERE elder_id = ? AND day = ? AND meal_window = ? AND decision != ? AND voided_by IS NULL`,
		elderID, day, window, eldergate.DecisionRefused).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: meals in window: %w", err)
	}
	return n, nil
}

// Meal is one decided tap of a known elder.
type Meal struct {
	ElderID       string
	Day           string
	Window        string
	Decision      string
	Reason        string
	PriceFen      eldergate.Fen
	SubsidyFen    eldergate.Fen
	PayFen        eldergate.Fen
	WeightG       int64
	At            time.Time
	PolicyVersion string
	Policy        *MealPolicy // usage.go: rule, discount, funding, usage counters
}

// Commit records an event in the outbox and, when meal is not nil, the
// meal it describes, in one transaction with synchronous=FULL. It assigns
// the envelope's seq and returns the envelope as stored.
func (s *Store) Commit(ctx context.Context, env eldergate.Envelope, meal *Meal) (eldergate.Envelope, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return env, fmt.Errorf("sqlite: commit event: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value`).Scan(&env.Seq); err != nil {
		return env, fmt.Errorf("sqlite: commit event: next seq: %w", err)
	}
	payload, err := json.Marshal(env)
	if err != nil {
		return env, fmt.Errorf("sqlite: commit event: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (id, seq, priority, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		env.ID, env.Seq, env.Kind.Priority(), string(env.Kind), string(payload), env.At.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return env, fmt.Errorf("sqlite: commit event: outbox: %w", err)
	}
	if meal != nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO meals (event_id, elder_id, day, meal_window, decision, reason, price_fen, subsidy_fen, pay_fen, weight_g, at, policy_version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			env.ID, meal.ElderID, meal.Day, meal.Window, meal.Decision, meal.Reason, int64(meal.PriceFen), int64(meal.SubsidyFen),
			int64(meal.PayFen), meal.WeightG, meal.At.UTC().Format(time.RFC3339Nano), meal.PolicyVersion)
		if err != nil {
			return env, fmt.Errorf("sqlite: commit event: meal: %w", err)
		}
		if err := recordMealPolicy(ctx, tx, env.ID, meal); err != nil { // usage.go
			return env, fmt.Errorf("sqlite: commit event: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return env, fmt.Errorf("sqlite: commit event: %w", err)
	}
	return env, nil
}

// OutboxRow is one outbox entry (the contract type the uplink drains).
type OutboxRow = outbox.Row

const outboxCols = `id, seq, priority, kind, payload, attempts, delivered_at IS NOT NULL, rejected_at IS NOT NULL, COALESCE(reject_reason, '')`

func scanOutbox(rows *sql.Rows) ([]OutboxRow, error) {
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		var payload string
		if err := rows.Scan(&r.ID, &r.Seq, &r.Priority, &r.Kind, &payload, &r.Attempts, &r.Delivered, &r.Rejected, &r.RejectReason); err != nil {
			return nil, err
		}
		r.Payload = json.RawMessage(payload)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Pending returns up to limit undelivered, unrejected rows of at least
// minPriority that are due at now (never sent, or their ack is overdue),
// highest priority first, then in seq order.
func (s *Store) Pending(ctx context.Context, now time.Time, minPriority, limit int) ([]OutboxRow, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox
		WHERE delivered_at IS NULL AND rejected_at IS NULL AND priority >= ? AND next_attempt_at <= ?
		ORDER BY priority DESC, seq ASC LIMIT ?`, minPriority, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending: %w", err)
	}
	out, err := scanOutbox(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending: %w", err)
	}
	return out, nil
}

// NextDue returns the earliest time at which a pending row that is not due
// yet becomes due.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var ms sql.NullInt64
	err := s.w.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM outbox WHERE delivered_at IS NULL AND rejected_at IS NULL`).Scan(&ms)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sqlite: next due: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64), true, nil
}

// MarkSent records an attempt for ids and makes them due again at retryAt
// unless acked before.
func (s *Store) MarkSent(ctx context.Context, ids []string, retryAt time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{retryAt.UnixMilli()}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.w.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return fmt.Errorf("sqlite: mark sent: %w", err)
	}
	return nil
}

// ResetDue makes every pending row due at once (e.g. after a reconnect).
func (s *Store) ResetDue(ctx context.Context) error {
	_, err := s.w.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = 0 WHERE delivered_at IS NULL AND rejected_at IS NULL AND next_attempt_at != 0`)
	if err != nil {
		return fmt.Errorf("sqlite: reset due: %w", err)
	}
	return nil
}

// MarkDelivered marks ids as committed by the cloud. Unknown or already
// delivered ids are ignored. It returns the number of rows newly marked.
func (s *Store) MarkDelivered(ctx context.Context, ids []string, at time.Time) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int64
	for chunk := range chunks(ids, 500) {
		args := []any{at.UTC().Format(time.RFC3339Nano)}
		for _, id := range chunk {
			args = append(args, id)
		}
		res, err := s.w.ExecContext(ctx, `UPDATE outbox SET delivered_at = ? WHERE delivered_at IS NULL AND id IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return n, fmt.Errorf("sqlite: mark delivered: %w", err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

// MarkRejected moves the rejected events to the dead letter state: they are
// kept, never resent.
func (s *Store) MarkRejected(ctx context.Context, rej []eldergate.Rejection, at time.Time) (int64, error) {
	var n int64
	for _, r := range rej {
		if r.ID == "" {
			continue
		}
		res, err := s.w.ExecContext(ctx, `UPDATE outbox SET rejected_at = ?, reject_reason = ? WHERE id = ? AND delivered_at IS NULL AND rejected_at IS NULL`,
			at.UTC().Format(time.RFC3339Nano), r.Reason, r.ID)
		if err != nil {
			return n, fmt.Errorf("sqlite: mark rejected: %w", err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

// PendingCount counts the rows not yet delivered nor rejected.
func (s *Store) PendingCount(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND rejected_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: pending count: %w", err)
	}
	return n, nil
}

// Outbox returns every outbox row in seq order.
func (s *Store) Outbox(ctx context.Context) ([]OutboxRow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: outbox: %w", err)
	}
	out, err := scanOutbox(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: outbox: %w", err)
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func chunks(ids []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(ids) > 0 {
			k := min(n, len(ids))
			if !yield(ids[:k]) {
				return
			}
			ids = ids[k:]
		}
	}
}

// Delivered reports whether the outbox row id was committed by the cloud
// (application ack), and whether the row exists at all.
func (s *Store) Delivered(ctx context.Context, id string) (delivered, exists bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT delivered_at IS NOT NULL FROM outbox WHERE id = ?`, id).Scan(&delivered)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("sqlite: delivered: %w", err)
	}
	return delivered, true, nil
}
