package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// # Closed statements and late events (issue 12)
//
// A close (CloseStatement) reads the month's settlement of a unit's sites
// and stores the rendered bytes with their SHA-256, and the sites it
// covers (statement_sites; site '' = every site), in one transaction.
// Ingest and a close exclude each other (settleLock): SQLite has one
// writer; PostgreSQL's close holds the meals and voids in SHARE mode,
// which waits for the ingests in flight and holds off new ones, and every
// ingest takes them in ROW EXCLUSIVE mode before it reads the statements.
// So a meal or void a close did not read is stored after it, sees its
// statement, and is marked late at insert:
//
//   - a meal whose (site, time) a statement covers is late; adjust_month
//     is the first month after the statement's that no statement covered
//     for the site when the meal was received (nextOpen);
//   - a void is late when its meal was paid by a statement already closed:
//     the meal is on time and a statement covers it, or the meal is late
//     and its adjustment month has been closed since; adjust_month is the
//     first open month after the one that paid the meal. A void whose meal
//     is not stored yet is on time (the meal, late or not, arrives with its
//     void already stored and nets to nothing).

// settleLock takes the lock of a close (share: true) or of an ingest.
func (s *Store) settleLock(ctx context.Context, c Conn, share bool) error {
	if s.D.TableLockSQL == "" {
		return nil
	}
	mode := "ROW EXCLUSIVE"
	if share {
		mode = "SHARE"
	}
	if _, err := c.Exec(ctx, fmt.Sprintf(s.D.TableLockSQL, "meals, meal_voids", mode)); err != nil {
		return s.errf("settlement lock: %w", err)
	}
	return nil
}

// cover is one row of statement_sites.
type cover struct {
	site, month string
	from, to    time.Time
}

type covers []cover

// coversOf reads the statement_sites rows of the sites given and of every
// site (”) whose month ends after since (a statement of an earlier month
// covers no event at or after since).
func (s *Store) coversOf(ctx context.Context, c Conn, sites map[string]bool, since time.Time) (covers, error) {
	if len(sites) == 0 {
		return nil, nil
	}
	var out covers
	for chunk := range s.D.InChunks(slices.Sorted(maps.Keys(sites))) {
		in, args := s.D.In("site", chunk)
		rows, err := queryAll(ctx, c, func(r *sql.Rows) (cover, error) {
			var x cover
			err := r.Scan(&x.site, &x.month, Time(&x.from), Time(&x.to))
			return x, err
		}, `SELECT site, month, from_at, to_at FROM statement_sites WHERE to_at > ? AND (site = '' OR `+in+`)`,
			append([]any{s.D.T(since)}, args...)...)
		if err != nil {
			return nil, s.errf("statement sites: %w", err)
		}
		for _, r := range rows {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// covering returns the statement row covering site at at.
func (cs covers) covering(site string, at time.Time) (cover, bool) {
	for _, c := range cs {
		if (c.site == site || c.site == "") && !at.Before(c.from) && at.Before(c.to) {
			return c, true
		}
	}
	return cover{}, false
}

// closed reports whether month is closed for site.
func (cs covers) closed(site, month string) bool {
	return slices.ContainsFunc(cs, func(c cover) bool { return (c.site == site || c.site == "") && c.month == month })
}

// nextOpen is the first month after month not closed for site.
func (cs covers) nextOpen(site, month string) string {
	m := nextMonth(month)
	for i := 0; i < 1200 && cs.closed(site, m); i++ {
		m = nextMonth(m)
	}
	return m
}

// nextMonth is the month after m (YYYY-MM); m itself when malformed.
func nextMonth(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.AddDate(0, 1, 0).Format("2006-01")
}

// lateVoids returns, per meal event id of the voids given, the month that
// carries the void as an adjustment; a void on time is not in the map.
func (s *Store) lateVoids(ctx context.Context, c Conn, audits []voidAudit) (map[string]string, error) {
	type meal struct {
		site, adjust string
		at           time.Time
	}
	meals := map[string]meal{}
	ids := make([]string, 0, len(audits))
	for _, a := range audits {
		ids = append(ids, a.MealEventID)
	}
	slices.Sort(ids)
	for chunk := range s.D.InChunks(slices.Compact(ids)) {
		in, args := s.D.In("m.event_id", chunk)
		rows, err := c.Query(ctx, `SELECT m.event_id, m.site, m.at, m.adjust_month FROM meals m
			LEFT JOIN meal_voids v ON v.meal_event_id = m.event_id
			WHERE v.meal_event_id IS NULL AND `+in, args...)
		if err != nil {
			return nil, s.errf("late voids: %w", err)
		}
		for rows.Next() {
			var id string
			var m meal
			if err := rows.Scan(&id, &m.site, Time(&m.at), &m.adjust); err != nil {
				rows.Close()
				return nil, s.errf("late voids: %w", err)
			}
			meals[id] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, s.errf("late voids: %w", err)
		}
	}
	out := map[string]string{}
	if len(meals) == 0 {
		return out, nil
	}
	sites := map[string]bool{}
	var since time.Time
	for _, m := range meals {
		sites[m.site] = true
		if since.IsZero() || m.at.Before(since) {
			since = m.at
		}
	}
	cs, err := s.coversOf(ctx, c, sites, since)
	if err != nil {
		return nil, err
	}
	for id, m := range meals {
		paid := ""
		if m.adjust == "" {
			if cv, ok := cs.covering(m.site, m.at); ok {
				paid = cv.month
			}
		} else if cs.closed(m.site, m.adjust) {
			paid = m.adjust
		}
		if paid != "" {
			out[id] = cs.nextOpen(m.site, paid)
		}
	}
	return out, nil
}

// StatementNumber is the number of the first statement of unit ("" =
// every site: ALL) and month: JS-<unit>-<YYYYMM>-01.
func StatementNumber(unit, month string) string {
	if unit == "" {
		unit = "ALL"
	}
	return "JS-" + unit + "-" + strings.ReplaceAll(month, "-", "") + "-01"
}

const statementCols = `number, unit, month, time_zone, from_at, to_at, closed_by, closed_at, sha256`

func scanStatement(r interface{ Scan(...any) error }, content bool) (domain.Statement, error) {
	var st domain.Statement
	dest := []any{&st.Number, &st.Unit, &st.Month, &st.TimeZone, Time(&st.From), Time(&st.To), &st.ClosedBy, Time(&st.ClosedAt), &st.SHA256}
	if content {
		dest = append(dest, &st.Content)
	}
	err := r.Scan(dest...)
	return st, err
}

// CloseStatement implements domain.StatementStore.
func (s *Store) CloseStatement(ctx context.Context, st domain.Statement, now time.Time, render domain.StatementRender) (domain.Statement, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%s: close: %s: %w", s.D.Name, fmt.Sprintf(format, args...), domain.ErrInvalid)
	}
	if _, err := time.Parse("2006-01", st.Month); err != nil || !st.From.Before(st.To) {
		return st, invalid("month %q is not a month YYYY-MM", st.Month)
	}
	if now.Before(st.To) {
		return st, invalid("month %s has not ended yet in %s: it ends at %s", st.Month, st.TimeZone, st.To.Format(time.RFC3339))
	}
	st.ClosedAt = now.UTC().Truncate(s.D.Precision)
	st.Number = StatementNumber(st.Unit, st.Month)
	err := s.inTx(ctx, "close", func(tx *Tx) error {
		if err := tx.lock(ctx, "statements"); err != nil {
			return s.errf("close: lock: %w", err)
		}
		if err := s.settleLock(ctx, tx.Conn, true); err != nil {
			return err
		}
		// The same unit: a closed statement never changes.
		var existing string
		err := tx.Row(ctx, `SELECT number FROM statements WHERE unit = ? AND month = ?`, st.Unit, st.Month).Scan(&existing)
		if err == nil {
			return fmt.Errorf("%s: close: %s is already closed for %s as statement %s: %w", s.D.Name, st.Month, unitWords(st.Unit), existing, domain.ErrConflict)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return s.errf("close: %w", err)
		}
		// An ancestor or descendant unit: the same meals would be paid twice.
		var path string
		if st.Unit != "" {
			if err := tx.Row(ctx, `SELECT path FROM org_units WHERE id = ?`, st.Unit).Scan(&path); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return invalid("no org unit %s", st.Unit)
				}
				return s.errf("close: %w", err)
			}
		}
		type other struct{ number, unit, path string }
		others, err := queryAll(ctx, tx.Conn, func(r *sql.Rows) (other, error) {
			var o other
			return o, r.Scan(&o.number, &o.unit, &o.path)
		}, `SELECT s.number, s.unit, COALESCE(u.path, '') FROM statements s LEFT JOIN org_units u ON u.id = s.unit
			WHERE s.month = ? ORDER BY s.number`, st.Month)
		if err != nil {
			return s.errf("close: %w", err)
		}
		for _, o := range others {
			switch {
			case o.unit == "" || path != "" && o.path != "" && strings.HasPrefix(path, o.path):
				return invalid("%s is already closed for %s, which holds %s (statement %s); closing it again would pay its meals twice",
					st.Month, unitWords(o.unit), unitWords(st.Unit), o.number)
			case st.Unit == "" || o.path != "" && strings.HasPrefix(o.path, path):
				return invalid("%s is already closed for %s within %s (statement %s); closing %s would pay its meals twice",
					st.Month, unitWords(o.unit), unitWords(st.Unit), o.number, unitWords(st.Unit))
			}
		}
		// The sites covered: '' for every site, else the unit's sites now.
		sites := []string{""}
		if st.Unit != "" {
			sites, err = queryAll(ctx, tx.Conn, func(r *sql.Rows) (string, error) {
				var id string
				return id, r.Scan(&id)
			}, `SELECT u.id FROM org_units u WHERE u.level = 'site' AND u.path LIKE ? ORDER BY u.id`, path+"%")
			if err != nil {
				return s.errf("close: %w", err)
			}
		}
		for _, site := range sites {
			var n string
			err := tx.Row(ctx, `SELECT number FROM statement_sites WHERE site = ? AND month = ?`, site, st.Month).Scan(&n)
			if err == nil {
				return invalid("site %s of %s is already in statement %s of %s", site, unitWords(st.Unit), n, st.Month)
			} else if !errors.Is(err, sql.ErrNoRows) {
				return s.errf("close: %w", err)
			}
		}
		meals, funding, err := s.settlementRows(ctx, tx.Conn, st.Unit, st.From, st.To)
		if err != nil {
			return err
		}
		adj, err := s.settlementAdjustments(ctx, tx.Conn, st.Unit, st.Month)
		if err != nil {
			return err
		}
		content, err := render(meals, funding, adj)
		if err != nil {
			return s.errf("close: render: %w", err)
		}
		sum := sha256.Sum256(content)
		st.Content, st.SHA256 = content, hex.EncodeToString(sum[:])
		if _, err := tx.Exec(ctx, `INSERT INTO statements (`+statementCols+`, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			st.Number, st.Unit, st.Month, st.TimeZone, s.D.T(st.From), s.D.T(st.To), s.D.S(st.ClosedBy), s.D.T(st.ClosedAt), st.SHA256, st.Content); err != nil {
			if s.D.IsUnique(err) {
				return fmt.Errorf("%s: close: statement %s exists: %w", s.D.Name, st.Number, domain.ErrConflict)
			}
			return s.errf("close: %w", err)
		}
		var rows []any
		for _, site := range sites {
			rows = append(rows, site, st.Month, st.Number, s.D.T(st.From), s.D.T(st.To))
		}
		if err := s.insertRows(ctx, tx.Conn, `INSERT INTO statement_sites (site, month, number, from_at, to_at) VALUES `, 5, rows, ``); err != nil {
			return s.errf("close: sites: %w", err)
		}
		return nil
	})
	if err != nil {
		return domain.Statement{}, err
	}
	return st, nil
}

// unitWords names a unit in an error: "org unit X" or "every site".
func unitWords(unit string) string {
	if unit == "" {
		return "every site"
	}
	return "org unit " + unit
}

// StatementOf implements domain.StatementStore.
func (s *Store) StatementOf(ctx context.Context, unit, month string) (domain.Statement, error) {
	st, err := scanStatement(s.Conn().Row(ctx, `SELECT `+statementCols+`, content FROM statements WHERE unit = ? AND month = ?`, unit, month), true)
	if err != nil {
		return st, s.errf("statement of %q %s: %w", unit, month, notFound(err))
	}
	return st, nil
}

// StatementByNumber implements domain.StatementStore.
func (s *Store) StatementByNumber(ctx context.Context, number string) (domain.Statement, error) {
	st, err := scanStatement(s.Conn().Row(ctx, `SELECT `+statementCols+`, content FROM statements WHERE number = ?`, number), true)
	if err != nil {
		return st, s.errf("statement %s: %w", number, notFound(err))
	}
	return st, nil
}

// ListStatements implements domain.StatementStore.
func (s *Store) ListStatements(ctx context.Context, scope string) ([]domain.Statement, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.Statement, error) { return scanStatement(r, false) },
		`SELECT `+statementCols+` FROM statements
		WHERE ?1 = '' OR unit IN (SELECT u.id FROM org_units u JOIN org_units r ON u.path LIKE r.path || '%' WHERE r.id = ?1)
		ORDER BY month DESC, number LIMIT ?2`, scope, domain.ListLimit)
	if err != nil {
		return nil, s.errf("list statements: %w", err)
	}
	return out, nil
}

// CoveringStatement implements domain.StatementStore.
func (s *Store) CoveringStatement(ctx context.Context, unit, month string) (domain.Statement, error) {
	st, err := scanStatement(s.Conn().Row(ctx, `SELECT `+statementCols+` FROM statements s
		WHERE s.month = ?2 AND (s.unit = '' OR s.unit = ?1 OR s.unit IN (
			SELECT a.id FROM org_units a JOIN org_units u ON u.path LIKE a.path || '%' WHERE u.id = ?1))
		ORDER BY length(s.unit) LIMIT 1`, unit, month), false)
	if err != nil {
		return st, s.errf("statement covering %q %s: %w", unit, month, notFound(err))
	}
	return st, nil
}

// SettlementAdjustments implements domain.SettlementStore.
func (s *Store) SettlementAdjustments(ctx context.Context, scope, month string) ([]domain.SettlementAdjustment, error) {
	return s.settlementAdjustments(ctx, s.Conn(), scope, month)
}

// settlementAdjustments reads the late events carried into month: the
// late meals (not those voided on time: a late meal and its void net to
// nothing) and the late voids, with the meals' funding shares.
func (s *Store) settlementAdjustments(ctx context.Context, c Conn, scope, month string) ([]domain.SettlementAdjustment, error) {
	const cols = `m.event_id, m.site, m.at, m.decision, m.rule, m.category, m.manual, m.outside,
		CASE WHEN m.reason = 'outside_jurisdiction' THEN 1 ELSE 0 END,
		m.price_fen, m.subsidy_fen, m.pay_fen, m.discount_fen, m.operating_fen`
	out, err := queryAll(ctx, c, func(r *sql.Rows) (domain.SettlementAdjustment, error) {
		var a domain.SettlementAdjustment
		var manual, outside, lost int64
		err := r.Scan(&a.Kind, &a.EventID, Time(&a.EventAt), Time(&a.ReceivedAt), &a.MealEventID, &a.Site, Time(&a.At), &a.Decision, &a.Rule, &a.Category,
			&manual, &outside, &lost, &a.PriceFen, &a.SubsidyFen, &a.PayFen, &a.DiscountFen, &a.OperatingFen)
		a.Manual, a.Outside, a.OutsideLost, a.Funding = manual != 0, outside != 0, lost != 0, []domain.AdjustmentShare{}
		return a, err
	}, `SELECT '`+domain.AdjustLateMeal+`', m.event_id, m.at, m.received_at, `+cols+` FROM meals m
		WHERE m.adjust_month = ?2 AND `+inScope("m.site")+` AND m.decision <> 'refused'
			AND NOT EXISTS (SELECT 1 FROM meal_voids v WHERE v.meal_event_id = m.event_id AND v.adjust_month = '')
		UNION ALL
		SELECT '`+domain.AdjustLateVoid+`', v.audit_id, v.at, v.received_at, `+cols+` FROM meal_voids v JOIN meals m ON m.event_id = v.meal_event_id
		WHERE v.adjust_month = ?2 AND `+inScope("m.site")+` AND m.decision <> 'refused'
		ORDER BY 3, 2`, scope, month)
	if err != nil {
		return nil, s.errf("settlement adjustments: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	byMeal := map[string][]int{}
	for i, a := range out {
		byMeal[a.MealEventID] = append(byMeal[a.MealEventID], i)
	}
	ids := slices.Sorted(maps.Keys(byMeal))
	for chunk := range slices.Chunk(ids, 200) {
		args := make([]any, len(chunk))
		for i, v := range chunk {
			args[i] = v
		}
		type share struct {
			id string
			domain.AdjustmentShare
		}
		shares, err := queryAll(ctx, c, func(r *sql.Rows) (share, error) {
			var x share
			var outside int64
			err := r.Scan(&x.id, &x.Layer, &x.Code, &outside, &x.Fen)
			x.Outside = outside != 0
			return x, err
		}, `SELECT event_id, layer, code, outside, fen FROM meal_funding WHERE event_id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`) ORDER BY event_id, idx`, args...)
		if err != nil {
			return nil, s.errf("settlement adjustments: funding: %w", err)
		}
		for _, x := range shares {
			for _, i := range byMeal[x.id] {
				out[i].Funding = append(out[i].Funding, x.AdjustmentShare)
			}
		}
	}
	return out, nil
}
