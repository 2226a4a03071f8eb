package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/eldergate/eldergate"
)

// MealCounts are the meals of one window, or of a whole day: what the
// staff screen shows. Served meals are those recorded and not voided;
// subsidised, discounted and full pay split them by decision; by hand
// counts the served meals staff entered; refused and voided are counted
// apart. The totals are of the served meals.
type MealCounts struct {
	Window     string        `json:"window,omitempty"` // empty for the day's totals
	Served     int           `json:"served"`
	Subsidised int           `json:"subsidised"`
	Discounted int           `json:"discounted"`
	FullPay    int           `json:"full_pay"`
	Refused    int           `json:"refused"`
	Manual     int           `json:"manual"`
	Voided     int           `json:"voided"`
	SubsidyFen eldergate.Fen `json:"subsidy_fen"`
	PayFen     eldergate.Fen `json:"pay_fen"`
}

func (c *MealCounts) add(o MealCounts) {
	c.Served += o.Served
	c.Subsidised += o.Subsidised
	c.Discounted += o.Discounted
	c.FullPay += o.FullPay
	c.Refused += o.Refused
	c.Manual += o.Manual
	c.Voided += o.Voided
	c.SubsidyFen += o.SubsidyFen
	c.PayFen += o.PayFen
}

// DayCounts are the counts of the site-local day Day (YYYY-MM-DD, the
// day the decision gave each meal), per window in the order of their
// first meal, and their sum.
type DayCounts struct {
	Day     string       `json:"day"`
	Total   MealCounts   `json:"total"`
	Windows []MealCounts `json:"windows"`
}

// DayCounts counts the meals of the site-local day day, in one query.
func (s *Store) DayCounts(ctx context.Context, day string) (DayCounts, error) {
	out := DayCounts{Day: day, Windows: []MealCounts{}}
	// A served meal: recorded (not refused) and not voided.
	rows, err := s.r.QueryContext(ctx, `SELECT m.meal_window,
		SUM(m.decision != :refused AND m.voided_by IS NULL),
		SUM(m.decision = :approved AND m.voided_by IS NULL),
		SUM(m.decision = :discounted AND m.voided_by IS NULL),
		SUM(m.decision = :full_pay AND m.voided_by IS NULL),
		SUM(m.decision = :refused),
		SUM(m.decision != :refused AND m.voided_by IS NULL AND COALESCE(json_extract(o.payload, '$.data.manual'), 0) IS 1),
		SUM(m.voided_by IS NOT NULL),
		COALESCE(SUM(CASE WHEN m.decision != :refused AND m.voided_by IS NULL THEN m.subsidy_fen END), 0),
		COALESCE(SUM(CASE WHEN m.decision != :refused AND m.voided_by IS NULL THEN m.pay_fen END), 0),
		MIN(m.at)
		FROM meals m LEFT JOIN outbox o ON o.id = m.event_id
		WHERE m.day = :day
		GROUP BY m.meal_window ORDER BY MIN(m.at), m.meal_window`,
		sql.Named("refused", eldergate.DecisionRefused), sql.Named("approved", eldergate.DecisionApproved),
		sql.Named("discounted", eldergate.DecisionDiscounted), sql.Named("full_pay", eldergate.DecisionFullPay), sql.Named("day", day))
	if err != nil {
		return out, fmt.Errorf("sqlite: day counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c MealCounts
		var sub, pay int64
		var first string
		if err := rows.Scan(&c.Window, &c.Served, &c.Subsidised, &c.Discounted, &c.FullPay, &c.Refused, &c.Manual, &c.Voided, &sub, &pay, &first); err != nil {
			return out, fmt.Errorf("sqlite: day counts: %w", err)
		}
		c.SubsidyFen, c.PayFen = eldergate.Fen(sub), eldergate.Fen(pay)
		out.Windows = append(out.Windows, c)
		out.Total.add(c)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sqlite: day counts: %w", err)
	}
	return out, nil
}
