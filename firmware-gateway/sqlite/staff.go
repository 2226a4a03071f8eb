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
)

// elderCols selects an elder with the first active, unhashed credential
// as its card (roster.go) and the full roster data.
const elderCols = `id, name, COALESCE((SELECT c.key FROM credentials c WHERE c.elder_id = elders.id
	AND c.state = 'active' AND c.key NOT LIKE 'h:%' ORDER BY c.key LIMIT 1), ''), birth, category, active, data`

func scanElder(sc interface{ Scan(...any) error }) (eldergate.Elder, error) {
	var e eldergate.Elder
	var data string
	if err := sc.Scan(&e.ID, &e.Name, &e.Card, &e.Birth, &e.Category, &e.Active, &data); err != nil {
		return e, err
	}
	if data != "" {
		var full eldergate.Elder
		if err := json.Unmarshal([]byte(data), &full); err != nil {
			return e, fmt.Errorf("elder %s: %w", e.ID, err)
		}
		full.ID, full.Name, full.Card, full.Birth, full.Category, full.Active = e.ID, e.Name, e.Card, e.Birth, e.Category, e.Active
		e = full
	}
	return e, nil
}

// ElderByID looks up an elder on the roster by id, for a meal recorded by
// staff by hand.
func (s *Store) ElderByID(ctx context.Context, id string) (eldergate.Elder, bool, error) {
	e, err := scanElder(s.r.QueryRowContext(ctx, `SELECT `+elderCols+` FROM elders WHERE id = ? AND on_roster = 1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return eldergate.Elder{}, false, nil
	}
	if err != nil {
		return eldergate.Elder{}, false, fmt.Errorf("sqlite: elder by id: %w", err)
	}
	return e, true, nil
}

// SearchElders finds up to limit elders on the roster whose id starts
// with q or whose name contains q, ordered by id, for the staff's manual
// meal.
func (s *Store) SearchElders(ctx context.Context, q string, limit int) ([]eldergate.Elder, error) {
	q = strings.TrimSpace(q)
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
	rows, err := s.r.QueryContext(ctx, `SELECT `+elderCols+` FROM elders
		WHERE on_roster = 1 AND (id LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\') ORDER BY id LIMIT ?`, esc+"%", "%"+esc+"%", limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: search elders: %w", err)
	}
	defer rows.Close()
	var out []eldergate.Elder
	for rows.Next() {
		e, err := scanElder(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: search elders: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: search elders: %w", err)
	}
	return out, nil
}

// RecentMeal is a served meal that is not voided.
type RecentMeal struct {
	EventID string
	ElderID string
	Name    string
	Window  string
	PayFen  eldergate.Fen
	At      time.Time
	Manual  bool
}

// RecentMeals lists the served, unvoided meals recorded at or after since,
// newest first, at most limit.
func (s *Store) RecentMeals(ctx context.Context, since time.Time, limit int) ([]RecentMeal, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT m.event_id, m.elder_id, COALESCE(e.name, ''), m.meal_window, m.pay_fen, m.at,
		json_extract(o.payload, '$.data.manual') IS 1
		FROM meals m JOIN outbox o ON o.id = m.event_id LEFT JOIN elders e ON e.id = m.elder_id
		WHERE m.decision != ? AND m.voided_by IS NULL AND o.created_at >= ?
		ORDER BY o.seq DESC LIMIT ?`, eldergate.DecisionRefused, since.UTC().Format(time.RFC3339Nano), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: recent meals: %w", err)
	}
	defer rows.Close()
	var out []RecentMeal
	for rows.Next() {
		var m RecentMeal
		var pay int64
		var at string
		if err := rows.Scan(&m.EventID, &m.ElderID, &m.Name, &m.Window, &pay, &at, &m.Manual); err != nil {
			return nil, fmt.Errorf("sqlite: recent meals: %w", err)
		}
		m.PayFen = eldergate.Fen(pay)
		m.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: recent meals: %w", err)
	}
	return out, nil
}
