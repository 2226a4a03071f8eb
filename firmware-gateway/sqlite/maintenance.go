package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/eldergate/eldergate"
)

// Errors of the maintenance and staff operations.
var (
	ErrCorrupt       = errors.New("sqlite: database failed its integrity check")
	ErrNotFound      = errors.New("sqlite: no such meal")
	ErrNotServed     = errors.New("sqlite: the meal was refused, there is nothing to void")
	ErrAlreadyVoided = errors.New("sqlite: the meal is already voided")
	ErrNotLast       = errors.New("sqlite: only the elder's last meal can be voided")
	ErrTooOld        = errors.New("sqlite: the meal is too old to be voided")
)

// IsDiskFull reports whether err comes from a full disk (SQLITE_FULL or
// ENOSPC).
func IsDiskFull(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrFull {
		return true
	}
	return errors.Is(err, syscall.ENOSPC)
}

// CheckIntegrity runs PRAGMA integrity_check on the database at path,
// read-only. A missing file is fine (a first start). A damaged file is
// reported with ErrCorrupt and left untouched for diagnosis.
func CheckIntegrity(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "5000")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("sqlite: integrity check %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check(20)`)
	if err != nil {
		return corrupt(path, err.Error())
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return corrupt(path, err.Error())
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return corrupt(path, err.Error())
	}
	if len(problems) > 0 {
		return corrupt(path, strings.Join(problems, "; "))
	}
	return nil
}

func corrupt(path, detail string) error {
	return fmt.Errorf("%w: %s: %s (the file is kept for diagnosis; undelivered events may be in it: copy it away before starting with a new store)", ErrCorrupt, path, detail)
}

// Ping checks that the writer answers (the watchdog's health check).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.w.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// ClockFloor is the highest time the gateway has used: the persisted
// floor or the time of the last committed event, whichever is later.
func (s *Store) ClockFloor(ctx context.Context) (time.Time, error) {
	var ms int64
	err := s.w.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'clock_floor_ms'`).Scan(&ms)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("sqlite: clock floor: %w", err)
	}
	floor := time.Time{}
	if ms > 0 {
		floor = time.UnixMilli(ms).UTC()
	}
	var last string
	err = s.w.QueryRowContext(ctx, `SELECT created_at FROM outbox ORDER BY seq DESC LIMIT 1`).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("sqlite: clock floor: %w", err)
	}
	if t, perr := time.Parse(time.RFC3339Nano, last); perr == nil && t.After(floor) {
		floor = t.UTC()
	}
	return floor, nil
}

// SaveClockFloor persists t as the clock floor unless a later one is
// stored.
func (s *Store) SaveClockFloor(ctx context.Context, t time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('clock_floor_ms', ?)
		ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)`, t.UnixMilli())
	if err != nil {
		return fmt.Errorf("sqlite: save clock floor: %w", err)
	}
	return nil
}

// OutboxStats summarises the outbox for the heartbeat and the metrics.
type OutboxStats struct {
	Pending       int       // neither delivered nor rejected
	OldestPending time.Time // created_at of the oldest pending row; zero when none
	DeadLetters   int       // rejected by the cloud, kept
	Delivered     int       // delivered and not yet pruned
}

// OutboxStats reads the outbox summary.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	var oldest sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND rejected_at IS NULL),
		(SELECT created_at FROM outbox WHERE delivered_at IS NULL AND rejected_at IS NULL ORDER BY seq LIMIT 1),
		(SELECT COUNT(*) FROM outbox WHERE rejected_at IS NOT NULL),
		(SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL)`).Scan(&st.Pending, &oldest, &st.DeadLetters, &st.Delivered)
	if err != nil {
		return st, fmt.Errorf("sqlite: outbox stats: %w", err)
	}
	if oldest.Valid {
		if t, err := time.Parse(time.RFC3339Nano, oldest.String); err == nil {
			st.OldestPending = t
		}
	}
	return st, nil
}

// DropUndelivered deletes the undelivered rows of kind (heartbeats, whose
// newest one replaces the older ones). Rows of other kinds are never
// deleted before they are delivered.
func (s *Store) DropUndelivered(ctx context.Context, kind eldergate.Kind) (int64, error) {
	if kind != eldergate.KindHeartbeat {
		return 0, fmt.Errorf("sqlite: drop undelivered %s: only heartbeats are replaceable", kind)
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM outbox WHERE kind = ? AND delivered_at IS NULL AND rejected_at IS NULL`, string(kind))
	if err != nil {
		return 0, fmt.Errorf("sqlite: drop undelivered %s: %w", kind, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// PruneResult counts what Prune deleted.
type PruneResult struct {
	Events int64 // outbox rows
	Meals  int64
}

// pruneChunk bounds one delete transaction on a slow SD card.
const pruneChunk = 1000

// Prune deletes delivered data: meals of a day before keepMealsFrom
// (YYYY-MM-DD, the first day still needed for the usage limits) whose
// event was delivered before deliveredBefore, and delivered outbox rows
// created before deliveredBefore that no kept meal refers to. Undelivered
// and dead-lettered rows are never deleted.
func (s *Store) Prune(ctx context.Context, deliveredBefore time.Time, keepMealsFrom string) (PruneResult, error) {
	var res PruneResult
	before := deliveredBefore.UTC().Format(time.RFC3339Nano)
	step := func(query string, args ...any) (int64, error) {
		var total int64
		for {
			r, err := s.w.ExecContext(ctx, query, args...)
			if err != nil {
				return total, err
			}
			n, _ := r.RowsAffected()
			total += n
			if n < pruneChunk {
				return total, nil
			}
		}
	}
	var err error
	res.Meals, err = step(`DELETE FROM meals WHERE rowid IN (SELECT m.rowid FROM meals m JOIN outbox o ON o.id = m.event_id
		WHERE m.day < ? AND o.delivered_at IS NOT NULL AND o.created_at < ? LIMIT ?)`, keepMealsFrom, before, pruneChunk)
	if err != nil {
		return res, fmt.Errorf("sqlite: prune meals: %w", err)
	}
	res.Events, err = step(`DELETE FROM outbox WHERE rowid IN (SELECT o.rowid FROM outbox o
		WHERE o.delivered_at IS NOT NULL AND o.created_at < ? AND NOT EXISTS (SELECT 1 FROM meals m WHERE m.event_id = o.id) LIMIT ?)`, before, pruneChunk)
	if err != nil {
		return res, fmt.Errorf("sqlite: prune events: %w", err)
	}
	return res, nil
}

// VoidedMeal is the meal a void reversed.
type VoidedMeal struct {
	EventID    string
	ElderID    string
	Day        string
	Window     string
	Decision   string
	PriceFen   eldergate.Fen
	SubsidyFen eldergate.Fen
	PayFen     eldergate.Fen
	At         time.Time
}

// VoidMeal voids the meal recorded by event mealID and records audit (an
// audit event naming it) in one transaction: the meal stays, marked
// voided by the audit event, and counts for no limit from then on. Only
// the elder's last served meal, at or after notBefore, can be voided.
// data, when not nil, builds the audit event's data from the meal once
// the checks passed. It returns the meal and the audit envelope as stored (with its seq).
//
// The meal's usage is reversed in the same transaction (reverseUsage).
func (s *Store) VoidMeal(ctx context.Context, mealID string, notBefore time.Time, audit eldergate.Envelope, data func(VoidedMeal) (any, error)) (VoidedMeal, eldergate.Envelope, error) {
	var m VoidedMeal
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return m, audit, fmt.Errorf("sqlite: void meal: %w", err)
	}
	defer tx.Rollback()
	var at string
	var voided sql.NullString
	var price, subsidy, pay int64
	err = tx.QueryRowContext(ctx, `SELECT event_id, elder_id, day, meal_window, decision, price_fen, subsidy_fen, pay_fen, at, voided_by
		FROM meals WHERE event_id = ?`, mealID).Scan(&m.EventID, &m.ElderID, &m.Day, &m.Window, &m.Decision, &price, &subsidy, &pay, &at, &voided)
	if errors.Is(err, sql.ErrNoRows) {
		return m, audit, ErrNotFound
	}
	if err != nil {
		return m, audit, fmt.Errorf("sqlite: void meal: %w", err)
	}
	m.PriceFen, m.SubsidyFen, m.PayFen = eldergate.Fen(price), eldergate.Fen(subsidy), eldergate.Fen(pay)
	m.At, _ = time.Parse(time.RFC3339Nano, at)
	switch {
	case voided.Valid:
		return m, audit, ErrAlreadyVoided
	case m.Decision == eldergate.DecisionRefused:
		return m, audit, ErrNotServed
	case m.At.Before(notBefore):
		return m, audit, ErrTooOld
	}
	var last string
	err = tx.QueryRowContext(ctx, `SELECT m.event_id FROM meals m JOIN outbox o ON o.id = m.event_id
		WHERE m.elder_id = ? AND m.decision != ? AND m.voided_by IS NULL ORDER BY o.seq DESC LIMIT 1`,
		m.ElderID, eldergate.DecisionRefused).Scan(&last)
	if err != nil {
		return m, audit, fmt.Errorf("sqlite: void meal: last meal: %w", err)
	}
	if last != mealID {
		return m, audit, ErrNotLast
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meals SET voided_by = ?, voided_at = ? WHERE event_id = ?`,
		audit.ID, audit.At.UTC().Format(time.RFC3339Nano), mealID); err != nil {
		return m, audit, fmt.Errorf("sqlite: void meal: %w", err)
	}
	if err := reverseUsage(ctx, tx, m); err != nil {
		return m, audit, fmt.Errorf("sqlite: void meal: reverse usage: %w", err)
	}
	if data != nil {
		d, err := data(m)
		if err != nil {
			return m, audit, fmt.Errorf("sqlite: void meal: audit data: %w", err)
		}
		if audit.Data, err = json.Marshal(d); err != nil {
			return m, audit, fmt.Errorf("sqlite: void meal: audit data: %w", err)
		}
	}
	if audit, err = insertOutbox(ctx, tx, audit); err != nil {
		return m, audit, fmt.Errorf("sqlite: void meal: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return m, audit, fmt.Errorf("sqlite: void meal: commit: %w", err)
	}
	return m, audit, nil
}

// reverseUsage undoes what the meal added to the usage counters (the
// policy engine's usage table, usage.go), inside the void's transaction.
// MealsInWindow also skips voided meals.
func reverseUsage(ctx context.Context, tx *sql.Tx, m VoidedMeal) error {
	return reverseMealUsage(ctx, tx, m.EventID) // usage.go
}

// insertOutbox assigns the next seq to env and inserts it in the outbox
// inside tx, as Commit does.
func insertOutbox(ctx context.Context, tx *sql.Tx, env eldergate.Envelope) (eldergate.Envelope, error) {
	if err := tx.QueryRowContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value`).Scan(&env.Seq); err != nil {
		return env, fmt.Errorf("next seq: %w", err)
	}
	payload, err := json.Marshal(env)
	if err != nil {
		return env, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (id, seq, priority, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		env.ID, env.Seq, env.Kind.Priority(), string(env.Kind), string(payload), env.At.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return env, fmt.Errorf("outbox: %w", err)
	}
	return env, nil
}
