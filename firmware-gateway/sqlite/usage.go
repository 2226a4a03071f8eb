package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/policy"
)

// MealPolicy is what the policy engine decided about a meal beyond the
// first version's columns. When Meal.Policy is set and the meal is
// approved (subsidised), Commit adds one meal and its subsidy to the
// elder's counters of every key in UsageKeys, in the meal's transaction.
type MealPolicy struct {
	Rule         string
	DiscountFen  eldergate.Fen
	OperatingFen eldergate.Fen
	Funding      []eldergate.FundingShare
	UsageKeys    []string // policy.Periods.Keys() of the meal
}

// recordMealPolicy stores the policy columns of the meal of event id and
// counts a subsidised meal, inside Commit's transaction.
func recordMealPolicy(ctx context.Context, tx *sql.Tx, eventID string, m *Meal) error {
	p := m.Policy
	if p == nil {
		return nil
	}
	funding := ""
	if len(p.Funding) > 0 {
		b, err := json.Marshal(p.Funding)
		if err != nil {
			return fmt.Errorf("meal policy: %w", err)
		}
		funding = string(b)
	}
	// Which meals count is policy's rule (policy.CountsDecision), shared
	// with the cloud's reconciliation; one meal and its subsidy per key
	// (policy.Counted).
	counts := policy.CountsDecision(m.Decision) && len(p.UsageKeys) > 0
	keys := ""
	if counts {
		for _, k := range p.UsageKeys {
			if k == "" || strings.ContainsAny(k, " \t\n") {
				return fmt.Errorf("meal policy: bad usage key %q", k)
			}
		}
		keys = strings.Join(p.UsageKeys, " ")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meals SET rule_id = ?, discount_fen = ?, operating_fen = ?, funding = ?, usage_keys = ? WHERE event_id = ?`,
		p.Rule, int64(p.DiscountFen), int64(p.OperatingFen), funding, keys, eventID); err != nil {
		return fmt.Errorf("meal policy: %w", err)
	}
	if counts {
		if err := addUsage(ctx, tx, m.ElderID, p.UsageKeys, 1, m.SubsidyFen); err != nil {
			return err
		}
	}
	return nil
}

// addUsage adds count meals and fen subsidy to the elder's counters of
// keys (negative values reverse a meal).
func addUsage(ctx context.Context, tx *sql.Tx, elderID string, keys []string, count int, fen eldergate.Fen) error {
	for _, k := range keys {
		var err error
		if count >= 0 && fen >= 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO usage (elder_id, period, count, subsidy_fen) VALUES (?, ?, ?, ?)
				ON CONFLICT (elder_id, period) DO UPDATE SET count = count + excluded.count, subsidy_fen = subsidy_fen + excluded.subsidy_fen`,
				elderID, k, count, int64(fen))
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE usage SET count = MAX(0, count + ?), subsidy_fen = MAX(0, subsidy_fen + ?) WHERE elder_id = ? AND period = ?`,
				count, int64(fen), elderID, k)
		}
		if err != nil {
			return fmt.Errorf("usage %s: %w", k, err)
		}
	}
	return nil
}

// reverseMealUsage takes a voided meal out of the counters it was added
// to, inside the void's transaction.
func reverseMealUsage(ctx context.Context, tx *sql.Tx, eventID string) error {
	var elder, decision, keys string
	var subsidy int64
	err := tx.QueryRowContext(ctx, `SELECT elder_id, decision, subsidy_fen, usage_keys FROM meals WHERE event_id = ?`, eventID).
		Scan(&elder, &decision, &subsidy, &keys)
	if err != nil {
		return fmt.Errorf("reverse usage: %w", err)
	}
	if !policy.CountsDecision(decision) || keys == "" {
		return nil
	}
	if err := addUsage(ctx, tx, elder, strings.Fields(keys), -1, -eldergate.Fen(subsidy)); err != nil {
		return fmt.Errorf("reverse usage: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meals SET usage_keys = '' WHERE event_id = ?`, eventID); err != nil {
		return fmt.Errorf("reverse usage: %w", err)
	}
	return nil
}

// Usage returns the elder's usage in the periods of a meal: the counters
// of this gateway plus the usage pushed by the cloud for other sites
// (remote_usage, per day; rows of site excludeSite, this gateway's own
// site, are ignored so that nothing counts twice). Remote usage has no
// window granularity: it counts in the day, week and month.
func (s *Store) Usage(ctx context.Context, elderID string, ps policy.Periods, excludeSite string) (policy.Usage, error) {
	var u policy.Usage
	keys := ps.Keys()
	if len(keys) == 0 {
		return u, nil
	}
	args := []any{elderID}
	for _, k := range keys {
		args = append(args, k)
	}
	rows, err := s.w.QueryContext(ctx, `SELECT period, count, subsidy_fen FROM usage WHERE elder_id = ? AND period IN (`+placeholders(len(keys))+`)`, args...)
	if err != nil {
		return u, fmt.Errorf("sqlite: usage: %w", err)
	}
	for rows.Next() {
		var k string
		var c policy.Counter
		if err := rows.Scan(&k, &c.Count, &c.SubsidyFen); err != nil {
			rows.Close()
			return u, fmt.Errorf("sqlite: usage: %w", err)
		}
		switch k {
		case ps.Window:
			u.Window = c
		case ps.Day:
			u.Day = c
		case ps.Week:
			u.Week = c
		case ps.Month:
			u.Month = c
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return u, fmt.Errorf("sqlite: usage: %w", err)
	}

	day, err := time.Parse(time.DateOnly, strings.TrimPrefix(ps.Day, "day:"))
	if err != nil {
		return u, fmt.Errorf("sqlite: usage: day key %q: %w", ps.Day, err)
	}
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	from, to := first, first.AddDate(0, 1, 0) // [from, to): the month and the whole ISO week
	if monday.Before(from) {
		from = monday
	}
	if sunday := monday.AddDate(0, 0, 7); sunday.After(to) {
		to = sunday
	}
	rrows, err := s.w.QueryContext(ctx, `SELECT day, SUM(meals), SUM(subsidy_fen) FROM remote_usage
		WHERE elder_id = ? AND site != ? AND day >= ? AND day < ? GROUP BY day`,
		elderID, excludeSite, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return u, fmt.Errorf("sqlite: usage: remote: %w", err)
	}
	defer rrows.Close()
	for rrows.Next() {
		var ds string
		var c policy.Counter
		if err := rrows.Scan(&ds, &c.Count, &c.SubsidyFen); err != nil {
			return u, fmt.Errorf("sqlite: usage: remote: %w", err)
		}
		d, err := time.Parse(time.DateOnly, ds)
		if err != nil {
			continue // not a date: written by nothing of ours
		}
		add := func(t *policy.Counter) { t.Count += c.Count; t.SubsidyFen += c.SubsidyFen }
		if d.Equal(day) {
			add(&u.Day)
		}
		if !d.Before(monday) && d.Before(monday.AddDate(0, 0, 7)) {
			add(&u.Week)
		}
		if d.Year() == day.Year() && d.Month() == day.Month() {
			add(&u.Month)
		}
	}
	if err := rrows.Err(); err != nil {
		return u, fmt.Errorf("sqlite: usage: remote: %w", err)
	}
	return u, nil
}

// ApplyRemoteUsage stores cross-site usage pushed by the cloud (command
// usage) and records syncedAt as the time of the last usage sync, in one
// transaction. Each row is the absolute usage of one elder at one other
// site (the source) on one local day: applying the same rows again, or an
// older copy after a newer one with the same totals, changes nothing
// (idempotent by source and day). Rows are validated first; a bad row
// rejects the whole batch.
func (s *Store) ApplyRemoteUsage(ctx context.Context, rows []RemoteUsage, syncedAt time.Time) (int, error) {
	for i, r := range rows {
		if _, err := time.Parse(time.DateOnly, r.Day); err != nil {
			return 0, fmt.Errorf("sqlite: remote usage: rows[%d].day %q is not YYYY-MM-DD", i, r.Day)
		}
		if r.ElderID == "" || r.Site == "" || len(r.ElderID) > 128 || len(r.Site) > 256 {
			return 0, fmt.Errorf("sqlite: remote usage: rows[%d]: elder_id and site are required", i)
		}
		if r.Meals < 0 || r.SubsidyFen < 0 || r.Meals > 1000 || r.SubsidyFen > policy.MaxFen {
			return 0, fmt.Errorf("sqlite: remote usage: rows[%d]: meals or subsidy out of range", i)
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: remote usage: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO remote_usage (elder_id, site, day, meals, subsidy_fen) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (elder_id, site, day) DO UPDATE SET meals = excluded.meals, subsidy_fen = excluded.subsidy_fen`)
	if err != nil {
		return 0, fmt.Errorf("sqlite: remote usage: %w", err)
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r.ElderID, r.Site, r.Day, r.Meals, int64(r.SubsidyFen)); err != nil {
			return 0, fmt.Errorf("sqlite: remote usage: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'usage_synced_ms'`, syncedAt.UnixMilli()); err != nil {
		return 0, fmt.Errorf("sqlite: remote usage: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: remote usage: commit: %w", err)
	}
	return len(rows), nil
}

// UsageSyncedAt returns the time of the last usage sync from the cloud;
// ok is false when usage was never synced.
func (s *Store) UsageSyncedAt(ctx context.Context) (time.Time, bool, error) {
	var ms int64
	err := s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'usage_synced_ms'`).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && ms < 0) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sqlite: usage synced at: %w", err)
	}
	return time.UnixMilli(ms).UTC(), true, nil
}
