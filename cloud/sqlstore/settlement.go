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

// AuditTapRefused is the type of the gateway's audit event of a tap of a
// card that is not an active elder's (firmware-gateway/tapdesk
// UnknownCardData): stored as a card_taps row for the meals list.
const AuditTapRefused = "tap_refused"

// voidAudit is the part of a gateway's audit events the cloud reads: of
// a staff audit event (firmware-gateway StaffAuditData) what a void needs,
// of a refused card tap (tapdesk.UnknownCardData) its reason, masked card
// and reader.
type voidAudit struct {
	Type        string `json:"type"`
	Staff       string `json:"staff"`
	MealEventID string `json:"meal_event_id"`
	Reason      string `json:"reason"`
	Credential  string `json:"credential"` // masked by the gateway
	Reader      string `json:"reader"`
}

// MealCols are the settlement columns of one meal row, computed before
// the row is inserted (MealColumns) so that both engines' inserts write
// them at once, never by a later UPDATE.
type MealCols struct {
	Rule         string
	DiscountFen  int64
	OperatingFen int64
	OperatingBy  string
	Manual       int64 // 0 or 1
	Staff        string
	PriceSource  string
	Category     string // the elder's on the cloud roster of the site; "" when not on it
	Outside      int64  // 1 when a funding share is outside (ShareOutside)
	// Adjust is the month (YYYY-MM) that carries a late meal as an
	// adjustment: the meal's month was closed for its site before the
	// meal was received (statements.go). "" for a meal on time.
	Adjust  string
	outside []bool // per funding share
}

// MealColumns computes the settlement columns of the meal events among
// events, keyed by event id, with one roster query per 200 sites and
// elders. Both engines' ingest call it in the transaction, before they
// insert the meal rows (one place for the rules).
//
// The elder's category and home codes are taken from the cloud roster of
// the meal's site (roster_elders) AS IT IS WHEN THE MEAL IS STORED, which
// for a gateway that delivers promptly is the roster as of the meal; a
// back-filled meal takes the roster as of the back-fill. An elder not on
// the roster has category "" and no home codes (no share is then marked
// outside).
func (s *Store) MealColumns(ctx context.Context, c Conn, events []*eldergate.Envelope) (map[string]MealCols, error) {
	out := map[string]MealCols{}
	// Wait for a close in progress, and hold off any close until this
	// transaction ends (statements.go: every meal a close did not read is
	// late).
	if err := s.settleLock(ctx, c, false); err != nil {
		return nil, err
	}
	sites, elders := map[string]bool{}, map[string]bool{}
	meals := map[string]eldergate.MealData{}
	for _, e := range events {
		if e.Kind != eldergate.KindMeal {
			continue
		}
		m, err := e.Meal()
		if err != nil {
			return nil, s.errf("settlement %s: %w", e.ID, err)
		}
		meals[e.ID] = m
		sites[e.Site], elders[m.ElderID] = true, true
	}
	roster, err := s.rosterOf(ctx, c, sites, elders)
	if err != nil {
		return nil, err
	}
	var minAt time.Time
	for _, e := range events {
		if _, ok := meals[e.ID]; ok && (minAt.IsZero() || e.At.Before(minAt)) {
			minAt = e.At
		}
	}
	covers, err := s.coversOf(ctx, c, sites, minAt)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		m, ok := meals[e.ID]
		if !ok {
			continue
		}
		elder := roster[e.Site+"\x00"+m.ElderID]
		mc := MealCols{Rule: m.Rule, DiscountFen: int64(m.DiscountFen), OperatingFen: int64(m.OperatingFen), OperatingBy: m.OperatingBy,
			Staff: m.Staff, PriceSource: m.PriceSource, Category: elder.Category}
		if m.Manual {
			mc.Manual = 1
		}
		if cv, ok := covers.covering(e.Site, e.At); ok {
			mc.Adjust = covers.nextOpen(e.Site, cv.month)
		}
		for _, f := range m.Funding {
			o := ShareOutside(f.Code, elder)
			mc.outside = append(mc.outside, o)
			if o {
				mc.Outside = 1
			}
		}
		out[e.ID] = mc
	}
	return out, nil
}

// RecordSettlement stores, in the transaction that stored them, the
// funding shares (meal_funding) of the freshly stored meal events among
// events, with cols as MealColumns gave them, and the voids (meal_voids)
// of the meal_void audit events among them: a second void of one meal is
// ignored, and a meal may come before or after its void. Other events are
// ignored. Both engines' ingest call it once per transaction with the
// fresh events, received at receivedAt, after the meal rows; it also
// stores the card_taps row of each tap_refused audit event. Its
// statements are multi-row inserts of 100 rows. A void whose meal was
// paid by a statement closed before the void was received is late: it is
// marked with the month that carries it as an adjustment (lateVoids).
func (s *Store) RecordSettlement(ctx context.Context, c Conn, events []*eldergate.Envelope, cols map[string]MealCols, receivedAt time.Time) error {
	var fund, voids, taps []any
	var audits []voidAudit
	for _, e := range events {
		switch e.Kind {
		case eldergate.KindMeal:
			m, err := e.Meal()
			if err != nil {
				return s.errf("settlement %s: %w", e.ID, err)
			}
			if m.Decision == eldergate.DecisionRefused {
				continue // no meal, nothing to fund (the policy engine gives a refusal no shares)
			}
			mc := cols[e.ID]
			for i, f := range m.Funding {
				o := int64(0)
				if i < len(mc.outside) && mc.outside[i] {
					o = 1
				}
				fund = append(fund, e.ID, i, e.Site, s.D.T(e.At), s.D.S(f.Layer), s.D.S(f.Code), int64(f.Fen), o, mc.Adjust)
			}
		case eldergate.KindAudit:
			var a voidAudit
			if json.Unmarshal(e.Data, &a) != nil {
				continue
			}
			if a.Type == AuditTapRefused { // no meal: a row of the meals list only (meals.go)
				taps = append(taps, e.ID, e.GW, e.Site, s.D.S(eldergate.MaskID(a.Credential)), // masked again: idempotent, in case a gateway did not
					s.D.S(a.Reason), s.D.S(a.Reader), s.D.T(e.At), s.D.T(receivedAt))
				continue
			}
			if a.Type != AuditMealVoid || a.MealEventID == "" {
				continue
			}
			audits = append(audits, a)
			voids = append(voids, s.D.S(a.MealEventID), e.ID, s.D.S(a.Staff), s.D.T(e.At), s.D.T(receivedAt), "")
		}
	}
	if len(audits) > 0 {
		late, err := s.lateVoids(ctx, c, audits)
		if err != nil {
			return err
		}
		for i, a := range audits {
			voids[i*6+5] = late[a.MealEventID]
		}
	}
	if err := s.insertRows(ctx, c, `INSERT INTO meal_funding (event_id, idx, site, at, layer, code, fen, outside, adjust_month) VALUES `, 9, fund,
		` ON CONFLICT (event_id, idx) DO NOTHING`); err != nil {
		return s.errf("settlement: funding: %w", err)
	}
	if err := s.insertRows(ctx, c, `INSERT INTO card_taps (event_id, gw, site, card, reason, reader, at, received_at) VALUES `, 8, taps,
		` ON CONFLICT (event_id) DO NOTHING`); err != nil {
		return s.errf("card taps: %w", err)
	}
	if err := s.insertRows(ctx, c, `INSERT INTO meal_voids (meal_event_id, audit_id, staff, at, received_at, adjust_month) VALUES `, 6, voids,
		` ON CONFLICT (meal_event_id) DO NOTHING`); err != nil {
		return s.errf("settlement: voids: %w", err)
	}
	return nil
}

// backfillMeals sets the settlement columns of stored meal rows (the
// back-fill: rows inserted before migration 0012), one UPDATE per meal.
func (s *Store) backfillMeals(ctx context.Context, c Conn, cols map[string]MealCols) error {
	for id, mc := range cols {
		if _, err := c.Exec(ctx, `UPDATE meals SET rule = ?, discount_fen = ?, operating_fen = ?, operating_by = ?,
			manual = ?, staff = ?, price_source = ?, category = ?, outside = ? WHERE event_id = ?`,
			s.D.S(mc.Rule), mc.DiscountFen, mc.OperatingFen, s.D.S(mc.OperatingBy), mc.Manual, s.D.S(mc.Staff),
			s.D.S(mc.PriceSource), s.D.S(mc.Category), mc.Outside, id); err != nil {
			return s.errf("backfill %s: %w", id, err)
		}
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
// keyed by site NUL elder id (one query; Dialect.InChunks).
func (s *Store) rosterOf(ctx context.Context, c Conn, sites, elders map[string]bool) (map[string]eldergate.Elder, error) {
	out := map[string]eldergate.Elder{}
	if len(sites) == 0 {
		return out, nil
	}
	ss, es := slices.Sorted(maps.Keys(sites)), slices.Sorted(maps.Keys(elders))
	for sc := range s.D.InChunks(ss) {
		for ec := range s.D.InChunks(es) {
			inSite, args := s.D.In("site", sc)
			inElder, eargs := s.D.In("elder_id", ec)
			q := `SELECT site, elder_id, data FROM roster_elders WHERE ` + inSite + ` AND ` + inElder + ` AND data <> ''`
			args = append(args, eargs...)
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
				cols, err := s.MealColumns(ctx, tx.Conn, batch)
				if err != nil {
					return err
				}
				if err := s.backfillMeals(ctx, tx.Conn, cols); err != nil {
					return err
				}
				// Before statements existed (migration 0014): no event is late.
				if err := s.RecordSettlement(ctx, tx.Conn, batch, cols, time.Now()); err != nil {
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
// table (meals; meal_funding, which holds each share's site and time),
// over the (site, at) indexes.
// Both read one snapshot (a read transaction). PostgreSQL's work_mem is
// left as it is: raised to 64 MB (Dialect.AnalyticsSQL) the two queries
// took 5.0–5.4 s instead of 3.4–4.3 s at 1.8 million meals
// (docs/PERFORMANCE.md).
func (s *Store) SettlementRows(ctx context.Context, scope string, from, to time.Time) (meals []domain.SettlementMealRow, funding []domain.SettlementFundingRow, err error) {
	err = s.readRoster(ctx, "settlement", func(tx *Tx) error {
		var err error
		meals, funding, err = s.settlementRows(ctx, tx.Conn, scope, from, to)
		return err
	})
	return meals, funding, err
}

// settlementRows is SettlementRows on c. A late meal (adjust_month set)
// is left out, and a late void does not void its meal: the rows of a
// closed month are those its statement was computed from.
func (s *Store) settlementRows(ctx context.Context, c Conn, scope string, from, to time.Time) ([]domain.SettlementMealRow, []domain.SettlementFundingRow, error) {
	const voided = `CASE WHEN v.meal_event_id IS NULL THEN 0 ELSE 1 END`
	const lost = `CASE WHEN m.reason = 'outside_jurisdiction' THEN 1 ELSE 0 END`
	meals, err := queryAll(ctx, c, func(r *sql.Rows) (domain.SettlementMealRow, error) {
		var x domain.SettlementMealRow
		var manual, void, outside, lost int64
		err := r.Scan(&x.Site, &x.Decision, &x.Rule, &x.Category, &manual, &void, &outside, &lost,
			&x.Meals, &x.Subsidised, &x.PriceFen, &x.SubsidyFen, &x.PayFen, &x.DiscountFen, &x.OperatingFen)
		x.Manual, x.Voided, x.Outside, x.OutsideLost = manual != 0, void != 0, outside != 0, lost != 0
		return x, err
	}, `SELECT m.site, m.decision, m.rule, m.category, m.manual, `+voided+`, m.outside, `+lost+`,
			count(*), sum(CASE WHEN m.subsidy_fen > 0 THEN 1 ELSE 0 END), sum(m.price_fen), sum(m.subsidy_fen),
			sum(m.pay_fen), sum(m.discount_fen), sum(m.operating_fen)
		FROM meals m LEFT JOIN meal_voids v ON v.meal_event_id = m.event_id AND v.adjust_month = ''
		WHERE `+inScope("m.site")+` AND m.at >= ?2 AND m.at < ?3 AND m.decision <> 'refused' AND m.adjust_month = ''
		GROUP BY m.site, m.decision, m.rule, m.category, m.manual, `+voided+`, m.outside, `+lost+`
		ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`, scope, s.D.T(from), s.D.T(to))
	if err != nil {
		return nil, nil, s.errf("settlement meals: %w", err)
	}
	funding, err := queryAll(ctx, c, func(r *sql.Rows) (domain.SettlementFundingRow, error) {
		var x domain.SettlementFundingRow
		var outside, void int64
		err := r.Scan(&x.Site, &x.Layer, &x.Code, &outside, &void, &x.Meals, &x.Fen)
		x.Outside, x.Voided = outside != 0, void != 0
		return x, err
	}, `SELECT f.site, f.layer, f.code, f.outside, `+voided+`, count(*), sum(f.fen)
		FROM meal_funding f LEFT JOIN meal_voids v ON v.meal_event_id = f.event_id AND v.adjust_month = ''
		WHERE `+inScope("f.site")+` AND f.at >= ?2 AND f.at < ?3 AND f.adjust_month = ''
		GROUP BY f.site, f.layer, f.code, f.outside, `+voided+`
		ORDER BY 1, 2, 3, 4, 5`, scope, s.D.T(from), s.D.T(to))
	if err != nil {
		return nil, nil, s.errf("settlement funding: %w", err)
	}
	return meals, funding, nil
}
