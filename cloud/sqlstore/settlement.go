package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"slices"
	"strings"
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

// RecordSettlement stores what the settlement needs of freshly stored
// events, in the transaction that stored them: for a meal, the meal row's
// settlement columns and its funding shares (meal_funding); for a
// meal_void audit event, the void (meal_voids; a second void of one meal
// is ignored, and the meal may come before or after its void). Other
// events are ignored. Both engines' ingest call it once per transaction
// with the fresh events (one place for the rules); it batches its
// statements (a few per call, not per meal), so that ingest keeps its
// throughput.
//
// The elder's category and home codes are taken from the cloud roster of
// the meal's site (roster_elders) AS IT IS WHEN THE MEAL IS STORED, which
// for a gateway that delivers promptly is the roster as of the meal; a
// back-filled meal takes the roster as of the back-fill. An elder not on
// the roster has category "" and no home codes (no share is then marked
// outside).
func (s *Store) RecordSettlement(ctx context.Context, c Conn, events []*eldergate.Envelope) error {
	type meal struct {
		id, site string
		m        eldergate.MealData
	}
	var meals []meal
	var voids []any // meal_event_id, audit_id, staff, at
	sites, elders := map[string]bool{}, map[string]bool{}
	for _, e := range events {
		switch e.Kind {
		case eldergate.KindMeal:
			m, err := e.Meal()
			if err != nil {
				return s.errf("settlement %s: %w", e.ID, err)
			}
			meals = append(meals, meal{e.ID, e.Site, m})
			sites[e.Site], elders[m.ElderID] = true, true
		case eldergate.KindAudit:
			var a voidAudit
			if json.Unmarshal(e.Data, &a) != nil || a.Type != AuditMealVoid || a.MealEventID == "" {
				continue
			}
			voids = append(voids, s.D.S(a.MealEventID), e.ID, s.D.S(a.Staff), s.D.T(e.At))
		}
	}
	roster, err := s.rosterOf(ctx, c, sites, elders)
	if err != nil {
		return err
	}
	var upd, fund []any
	for _, x := range meals {
		elder := roster[x.site+"\x00"+x.m.ElderID]
		outside := int64(0)
		for i, f := range x.m.Funding {
			o := int64(0)
			if ShareOutside(f.Code, elder) {
				o, outside = 1, 1
			}
			fund = append(fund, x.id, i, s.D.S(f.Layer), s.D.S(f.Code), int64(f.Fen), o)
		}
		m := x.m
		manual := int64(0)
		if m.Manual {
			manual = 1
		}
		if m.Rule == "" && m.DiscountFen == 0 && m.OperatingFen == 0 && m.OperatingBy == "" && !m.Manual && m.Staff == "" &&
			m.PriceSource == "" && elder.Category == "" && outside == 0 {
			continue // the columns' defaults are right
		}
		upd = append(upd, x.id, s.D.S(m.Rule), int64(m.DiscountFen), int64(m.OperatingFen), s.D.S(m.OperatingBy),
			manual, s.D.S(m.Staff), s.D.S(m.PriceSource), s.D.S(elder.Category), outside)
	}
	// The rows to update, as a derived table: the first row's casts give
	// PostgreSQL the types; SQLite takes them as they are.
	const updCols = 10
	for rows := range slices.Chunk(upd, updCols*50) {
		var q strings.Builder
		q.WriteString(`UPDATE meals SET rule = v.rule, discount_fen = v.discount_fen, operating_fen = v.operating_fen,
			operating_by = v.operating_by, manual = v.manual, staff = v.staff, price_source = v.price_source,
			category = v.category, outside = v.outside FROM (`)
		for i := 0; i < len(rows)/updCols; i++ {
			if i == 0 {
				q.WriteString(`SELECT CAST(? AS text) AS id, CAST(? AS text) AS rule, CAST(? AS bigint) AS discount_fen,
					CAST(? AS bigint) AS operating_fen, CAST(? AS text) AS operating_by, CAST(? AS bigint) AS manual,
					CAST(? AS text) AS staff, CAST(? AS text) AS price_source, CAST(? AS text) AS category, CAST(? AS bigint) AS outside`)
			} else {
				q.WriteString(` UNION ALL SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`)
			}
		}
		q.WriteString(`) AS v WHERE meals.event_id = v.id`)
		if _, err := c.Exec(ctx, q.String(), rows...); err != nil {
			return s.errf("settlement: meals: %w", err)
		}
	}
	if err := s.insertRows(ctx, c, `INSERT INTO meal_funding (event_id, idx, layer, code, fen, outside) VALUES `, 6, fund,
		` ON CONFLICT (event_id, idx) DO NOTHING`); err != nil {
		return s.errf("settlement: funding: %w", err)
	}
	if err := s.insertRows(ctx, c, `INSERT INTO meal_voids (meal_event_id, audit_id, staff, at) VALUES `, 4, voids,
		` ON CONFLICT (meal_event_id) DO NOTHING`); err != nil {
		return s.errf("settlement: voids: %w", err)
	}
	return nil
}

// insertRows runs prefix with the rows of args (n columns each) as
// multi-row VALUES, 100 rows per statement, then suffix.
func (s *Store) insertRows(ctx context.Context, c Conn, prefix string, n int, args []any, suffix string) error {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	for rows := range slices.Chunk(args, n*100) {
		k := len(rows) / n
		q := prefix + strings.TrimSuffix(strings.Repeat(row+", ", k), ", ") + suffix
		if _, err := c.Exec(ctx, q, rows...); err != nil {
			return err
		}
	}
	return nil
}

// rosterOf returns the roster entries of the elders on the sites given,
// keyed by site NUL elder id (one query per 200 sites and elders).
func (s *Store) rosterOf(ctx context.Context, c Conn, sites, elders map[string]bool) (map[string]eldergate.Elder, error) {
	out := map[string]eldergate.Elder{}
	if len(sites) == 0 {
		return out, nil
	}
	ss, es := slices.Sorted(maps.Keys(sites)), slices.Sorted(maps.Keys(elders))
	for sc := range slices.Chunk(ss, 200) {
		for ec := range slices.Chunk(es, 200) {
			args := make([]any, 0, len(sc)+len(ec))
			for _, v := range sc {
				args = append(args, s.D.S(v))
			}
			for _, v := range ec {
				args = append(args, s.D.S(v))
			}
			q := `SELECT site, elder_id, data FROM roster_elders WHERE site IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(sc)), ", ") +
				`) AND elder_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(ec)), ", ") + `) AND data <> ''`
			rows, err := c.Query(ctx, q, args...)
			if err != nil {
				return nil, s.errf("settlement: roster: %w", err)
			}
			for rows.Next() {
				var site, id, data string
				if err := rows.Scan(&site, &id, &data); err != nil {
					rows.Close()
					return nil, s.errf("settlement: roster: %w", err)
				}
				var re eldergate.RosterElder
				if json.Unmarshal([]byte(data), &re) == nil {
					out[site+"\x00"+id] = re.Elder
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, s.errf("settlement: roster: %w", err)
			}
		}
	}
	return out, nil
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
		rows, err := tx.Query(ctx, `SELECT e.id, e.kind, e.site, e.at, e.data FROM events e
			WHERE e.kind = 'audit' OR e.kind = 'meal' AND e.id IN (SELECT event_id FROM meals) ORDER BY e.id`)
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
		// Only meal events with a meal row (the ingester stores both).
		batch := make([]*eldergate.Envelope, 0, 500)
		for i := range evs {
			batch = append(batch, &evs[i])
			if len(batch) == cap(batch) || i == len(evs)-1 {
				if err := s.RecordSettlement(ctx, tx.Conn, batch); err != nil {
					return err
				}
				batch = batch[:0]
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
