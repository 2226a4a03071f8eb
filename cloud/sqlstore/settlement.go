package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// AuditMealVoid is the type of the gateway's audit event that voids a meal
// (firmware-gateway/staff.go AuditMealVoid).
const AuditMealVoid = "meal_void"

// voidAudit is the part of a gateway's staff audit event
// (firmware-gateway StaffAuditData) a void needs.
type voidAudit struct {
	Type        string `json:"type"`
	Staff       string `json:"staff"`
	MealEventID string `json:"meal_event_id"`
}

// RecordSettlement stores what the settlement needs of a freshly stored
// event, in the transaction that stored it: for a meal, the meal row's
// settlement columns and its funding shares (meal_funding); for a
// meal_void audit event, the void (meal_voids; a second void of one meal
// is ignored, and the meal may come before or after its void). Both
// engines' ingest call it once per fresh event (one place for the rules);
// other events are ignored.
func (s *Store) RecordSettlement(ctx context.Context, c Conn, e *eldergate.Envelope) error {
	switch e.Kind {
	case eldergate.KindMeal:
		m, err := e.Meal()
		if err != nil {
			return s.errf("settlement %s: %w", e.ID, err)
		}
		return s.recordMeal(ctx, c, e.ID, e.Site, m)
	case eldergate.KindAudit:
		return s.recordVoid(ctx, c, e.ID, e.At, e.Data)
	}
	return nil
}

// recordMeal fills the settlement columns of meal id and its funding rows.
//
// The elder's category and home codes are taken from the cloud roster of
// the meal's site (roster_elders) AS IT IS WHEN THE MEAL IS STORED, which
// for a gateway that delivers promptly is the roster as of the meal; a
// back-filled meal takes the roster as of the back-fill. An elder not on
// the roster has category "" and no home codes (no share is then marked
// outside).
func (s *Store) recordMeal(ctx context.Context, c Conn, id, site string, m eldergate.MealData) error {
	var data string
	err := c.Row(ctx, `SELECT data FROM roster_elders WHERE site = ? AND elder_id = ?`, site, m.ElderID).Scan(&data)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return s.errf("settlement %s: roster: %w", id, err)
	}
	var elder eldergate.Elder
	if data != "" {
		var re eldergate.RosterElder
		if json.Unmarshal([]byte(data), &re) == nil {
			elder = re.Elder
		}
	}
	manual := int64(0)
	if m.Manual {
		manual = 1
	}
	if _, err := c.Exec(ctx, `UPDATE meals SET rule = ?, discount_fen = ?, operating_fen = ?, operating_by = ?,
		manual = ?, staff = ?, price_source = ?, category = ? WHERE event_id = ?`,
		s.D.S(m.Rule), int64(m.DiscountFen), int64(m.OperatingFen), s.D.S(m.OperatingBy),
		manual, s.D.S(m.Staff), s.D.S(m.PriceSource), s.D.S(elder.Category), id); err != nil {
		return s.errf("settlement %s: %w", id, err)
	}
	anyOutside := int64(0)
	for i, f := range m.Funding {
		outside := int64(0)
		if ShareOutside(f.Code, elder) {
			outside, anyOutside = 1, 1
		}
		if _, err := c.Exec(ctx, `INSERT INTO meal_funding (event_id, idx, layer, code, fen, outside) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (event_id, idx) DO NOTHING`,
			id, i, s.D.S(f.Layer), s.D.S(f.Code), int64(f.Fen), outside); err != nil {
			return s.errf("settlement %s: funding: %w", id, err)
		}
	}
	if anyOutside == 1 {
		if _, err := c.Exec(ctx, `UPDATE meals SET outside = 1 WHERE event_id = ?`, id); err != nil {
			return s.errf("settlement %s: %w", id, err)
		}
	}
	return nil
}

// ShareOutside reports whether a funding share with division code code
// pays for a meal eaten outside the elder's home jurisdiction: the code is
// set and is none of the elder's home codes (city, district, street) on
// the roster. The gateway's policy engine (policy.grant) writes the
// elder's home code into a share granted inside the jurisdiction or under
// outside: home, and the SITE's code under outside: site; a share lost
// under outside: lose is not in the meal at all. So a share whose code is
// not a home code is one the site's jurisdiction pays for an
// out-of-jurisdiction meal. A meal under outside: home keeps the home code
// and is charged to the home layer, which is what the policy says; it is
// not counted as outside (the cloud does not hold the sites' division
// codes to tell). An elder with no home code on the roster: never.
func ShareOutside(code string, elder eldergate.Elder) bool {
	if code == "" || elder.HomeCity == "" && elder.HomeDistrict == "" && elder.HomeStreet == "" {
		return false
	}
	return code != elder.HomeCity && code != elder.HomeDistrict && code != elder.HomeStreet
}

// recordVoid stores the void of an audit event of type meal_void.
func (s *Store) recordVoid(ctx context.Context, c Conn, id string, at time.Time, data []byte) error {
	var a voidAudit
	if json.Unmarshal(data, &a) != nil || a.Type != AuditMealVoid || a.MealEventID == "" {
		return nil
	}
	if _, err := c.Exec(ctx, `INSERT INTO meal_voids (meal_event_id, audit_id, staff, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (meal_event_id) DO NOTHING`, s.D.S(a.MealEventID), id, s.D.S(a.Staff), s.D.T(at)); err != nil {
		return s.errf("settlement void %s: %w", id, err)
	}
	return nil
}

// backfillSettlement is the name of the one-time back-fill of migration
// 0012 in the backfills table.
const backfillSettlement = "0012_settlement"

// Backfill runs the one-time steps not run yet on this database, each in
// one transaction with its mark in backfills: the settlement columns,
// funding shares and voids of the meals and audit events stored before
// migration 0012, read from their stored event JSON.
func (s *Store) Backfill(ctx context.Context) error {
	return s.inTx(ctx, "backfill", func(tx *Tx) error {
		if err := tx.lock(ctx, "backfill"); err != nil {
			return s.errf("backfill: lock: %w", err)
		}
		var n int
		if err := tx.Row(ctx, `SELECT count(*) FROM backfills WHERE name = ?`, backfillSettlement).Scan(&n); err != nil {
			return s.errf("backfill: %w", err)
		}
		if n > 0 {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT id, kind, site, at, data FROM events WHERE kind IN ('meal', 'audit') ORDER BY id`)
		if err != nil {
			return s.errf("backfill: %w", err)
		}
		var evs []eldergate.Envelope
		for rows.Next() {
			var e eldergate.Envelope
			var kind, data string
			if err := rows.Scan(&e.ID, &kind, &e.Site, Time(&e.At), &data); err != nil {
				rows.Close()
				return s.errf("backfill: %w", err)
			}
			e.Kind = eldergate.Kind(kind)
			e.Data = json.RawMessage(data)
			evs = append(evs, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.errf("backfill: %w", err)
		}
		for i := range evs {
			if evs[i].Kind == eldergate.KindMeal {
				// A meal row exists only for an event the ingester accepted.
				var has int
				if err := tx.Row(ctx, `SELECT count(*) FROM meals WHERE event_id = ?`, evs[i].ID).Scan(&has); err != nil {
					return s.errf("backfill: %w", err)
				}
				if has == 0 {
					continue
				}
			}
			if err := s.RecordSettlement(ctx, tx.Conn, &evs[i]); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO backfills (name, done_at) VALUES (?, ?)`, backfillSettlement, s.D.T(time.Now())); err != nil {
			return s.errf("backfill: %w", err)
		}
		return nil
	})
}

// SettlementRows implements domain.SettlementStore: one grouped query per
// table, over the meals_site_at / meals_at indexes.
func (s *Store) SettlementRows(ctx context.Context, scope string, from, to time.Time) ([]domain.SettlementMealRow, []domain.SettlementFundingRow, error) {
	const voided = `CASE WHEN v.meal_event_id IS NULL THEN 0 ELSE 1 END`
	const lost = `CASE WHEN m.reason = 'outside_jurisdiction' THEN 1 ELSE 0 END`
	meals, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.SettlementMealRow, error) {
		var x domain.SettlementMealRow
		var manual, void, outside, lost int64
		err := r.Scan(&x.Site, &x.Decision, &x.Rule, &x.Category, &manual, &void, &outside, &lost,
			&x.Meals, &x.Subsidised, &x.PriceFen, &x.SubsidyFen, &x.PayFen, &x.DiscountFen, &x.OperatingFen)
		x.Manual, x.Voided, x.Outside, x.OutsideLost = manual != 0, void != 0, outside != 0, lost != 0
		return x, err
	}, `SELECT m.site, m.decision, m.rule, m.category, m.manual, `+voided+`, m.outside, `+lost+`,
			count(*), sum(CASE WHEN m.subsidy_fen > 0 THEN 1 ELSE 0 END), sum(m.price_fen), sum(m.subsidy_fen),
			sum(m.pay_fen), sum(m.discount_fen), sum(m.operating_fen)
		FROM meals m LEFT JOIN meal_voids v ON v.meal_event_id = m.event_id
		WHERE `+inScope("m.site")+` AND m.at >= ?2 AND m.at < ?3 AND m.decision <> 'refused'
		GROUP BY m.site, m.decision, m.rule, m.category, m.manual, `+voided+`, m.outside, `+lost+`
		ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`, scope, s.D.T(from), s.D.T(to))
	if err != nil {
		return nil, nil, s.errf("settlement meals: %w", err)
	}
	funding, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.SettlementFundingRow, error) {
		var x domain.SettlementFundingRow
		var outside, void int64
		err := r.Scan(&x.Site, &x.Layer, &x.Code, &outside, &void, &x.Meals, &x.Fen)
		x.Outside, x.Voided = outside != 0, void != 0
		return x, err
	}, `SELECT m.site, f.layer, f.code, f.outside, `+voided+`, count(*), sum(f.fen)
		FROM meal_funding f JOIN meals m ON m.event_id = f.event_id
			LEFT JOIN meal_voids v ON v.meal_event_id = m.event_id
		WHERE `+inScope("m.site")+` AND m.at >= ?2 AND m.at < ?3 AND m.decision <> 'refused'
		GROUP BY m.site, f.layer, f.code, f.outside, `+voided+`
		ORDER BY 1, 2, 3, 4, 5`, scope, s.D.T(from), s.D.T(to))
	if err != nil {
		return nil, nil, s.errf("settlement funding: %w", err)
	}
	return meals, funding, nil
}
