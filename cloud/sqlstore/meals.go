package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// MealPage implements domain.MealsStore: one query on meals and one on
// card_taps, each newest first by (at, event id) from the cursor and
// limited to one row more than the page, merged here. Each walks its
// table's (at) or (site, at) index backwards and stops at the page's end;
// a filter on a column no index leads with (decision, reason, elder, q)
// is checked row by row on that walk (docs/PERFORMANCE.md, "Meals list").
// The elders' names come from the cloud roster of each row's site, masked.
func (s *Store) MealPage(ctx context.Context, f domain.MealFilter) ([]domain.MealRow, bool, error) {
	if f.Limit < 1 || f.Limit > domain.MealPageMax {
		return nil, false, fmt.Errorf("%s: meal page: limit %d is not within 1..%d: %w", s.D.Name, f.Limit, domain.MealPageMax, domain.ErrInvalid)
	}
	var sites []string
	if f.Scope != "" {
		// The sites of the scope as a list of values, not a subquery, so
		// that the query says which index to walk (newPageWhere).
		ids, err := queryAll(ctx, s.Conn(), scanString, `SELECT u.id FROM org_units u JOIN org_units r ON u.path LIKE r.path || '%'
			WHERE r.id = ? AND u.level = 'site' ORDER BY u.id`, f.Scope)
		if err != nil {
			return nil, false, s.errf("meal page: scope: %w", err)
		}
		if len(ids) == 0 {
			return []domain.MealRow{}, false, nil
		}
		sites = ids
	}
	rows := []domain.MealRow{}
	if f.Kind != domain.RowCard {
		ms, err := s.mealRows(ctx, f, sites)
		if err != nil {
			return nil, false, s.errf("meal page: %w", err)
		}
		rows = ms
	}
	if cardsMatch(f) {
		cs, err := s.cardRows(ctx, f, sites)
		if err != nil {
			return nil, false, s.errf("meal page: card taps: %w", err)
		}
		rows = append(rows, cs...)
	}
	slices.SortFunc(rows, func(a, b domain.MealRow) int {
		return cmp.Or(b.At.Compare(a.At), strings.Compare(b.EventID, a.EventID))
	})
	more := len(rows) > f.Limit
	if more {
		rows = rows[:f.Limit]
	}
	if err := s.elderNames(ctx, rows); err != nil {
		return nil, false, err
	}
	return rows, more, nil
}

// cardsMatch reports whether card rows can match f: they have no window,
// elder or money, and their decision is refused.
func cardsMatch(f domain.MealFilter) bool {
	return f.Kind != domain.RowMeal && f.Window == "" && f.Elder == "" &&
		(f.Decision == "" || f.Decision == eldergate.DecisionRefused)
}

// pageWhere is the WHERE clause of a page's query on a table aliased t
// (site, at and event_id columns): the sites of the scope, the period, the
// cursor, and the caller's own conditions, each with its arguments.
type pageWhere struct {
	s     *Store
	args  []any
	conds []string
}

func (s *Store) newPageWhere(f domain.MealFilter, t string, sites []string) *pageWhere {
	w := &pageWhere{s: s}
	switch len(sites) {
	case 0:
	case 1: // one site: its (site, at) index
		w.add(t+".site = ?", sites[0])
	default:
		// Several: "|| ''" keeps both planners off the (site, at) index,
		// whose ranges they would read whole and sort; they walk the
		// (at), (decision, at) or (reason, at) index newest first instead
		// and stop at the page's end.
		ph := make([]string, len(sites))
		for i, id := range sites {
			ph[i] = w.arg(id)
		}
		w.conds = append(w.conds, t+".site || '' IN ("+strings.Join(ph, ", ")+")")
	}
	if !f.From.IsZero() {
		w.add(t+".at >= ?", s.D.T(f.From))
	}
	if !f.To.IsZero() {
		w.add(t+".at < ?", s.D.T(f.To))
	}
	if !f.Before.At.IsZero() {
		at := w.arg(s.D.T(f.Before.At))
		// at <= the cursor's bounds the index range; the OR alone would
		// not (both engines would walk from the newest row).
		w.conds = append(w.conds, t+".at <= "+at, "("+t+".at < "+at+" OR "+t+".event_id < "+w.arg(f.Before.ID)+")")
	}
	return w
}

// arg binds v and returns its placeholder.
func (w *pageWhere) arg(v any) string {
	w.args = append(w.args, v)
	return "?" + strconv.Itoa(len(w.args))
}

// add appends cond, whose one ? is bound to v.
func (w *pageWhere) add(cond string, v any) {
	w.conds = append(w.conds, strings.Replace(cond, "?", w.arg(v), 1))
}

func (w *pageWhere) String() string {
	if len(w.conds) == 0 {
		return "1 = 1"
	}
	return strings.Join(w.conds, " AND ")
}

// likeArg is the LIKE pattern of rows containing q (escaped with \).
func likeArg(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

func (s *Store) mealRows(ctx context.Context, f domain.MealFilter, sites []string) ([]domain.MealRow, error) {
	w := s.newPageWhere(f, "m", sites)
	if f.Window != "" {
		w.add(`m."window" = ?`, f.Window)
	}
	switch f.Decision {
	case "":
	case domain.DecisionVoided:
		w.conds = append(w.conds, "v.meal_event_id IS NOT NULL")
	default:
		w.add("m.decision = ?", f.Decision)
	}
	if f.Reason != "" {
		w.add("m.reason = ?", f.Reason)
	}
	if f.Elder != "" {
		w.add("m.elder_id = ?", s.D.S(f.Elder))
	}
	if f.Q != "" {
		w.add(`m.elder_id LIKE ? ESCAPE '\'`, likeArg(s.D.S(f.Q)))
	}
	limit := w.arg(f.Limit + 1)
	return queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.MealRow, error) {
		var row domain.MealRow
		var price, subsidy, pay int64
		var data string
		err := r.Scan(&row.EventID, &row.GW, &row.Site, &row.ElderID, &row.Window, &row.Day, &row.Decision, &row.Reason,
			&price, &subsidy, &pay, &row.WeightG, &row.PolicyVer, Time(&row.At), Time(&row.ReceivedAt), &data,
			&row.SiteName, &row.Voided)
		row.PriceFen, row.SubsidyFen, row.PayFen = eldergate.Fen(price), eldergate.Fen(subsidy), eldergate.Fen(pay)
		row.PriceSource, row.Items = mealSource(data)
		row.Kind = domain.RowMeal
		return row, err
	}, `SELECT m.event_id, m.gw, m.site, m.elder_id, m."window", m.day, m.decision, m.reason,
			m.price_fen, m.subsidy_fen, m.pay_fen, m.weight_g, m.policy_version, m.at, m.received_at, e.data,
			COALESCE(u.name, ''), v.meal_event_id IS NOT NULL
		FROM meals m JOIN events e ON e.id = m.event_id
			LEFT JOIN org_units u ON u.id = m.site
			LEFT JOIN meal_voids v ON v.meal_event_id = m.event_id
		WHERE `+w.String()+` ORDER BY m.at DESC, m.event_id DESC LIMIT `+limit, w.args...)
}

func (s *Store) cardRows(ctx context.Context, f domain.MealFilter, sites []string) ([]domain.MealRow, error) {
	w := s.newPageWhere(f, "c", sites)
	if f.Reason != "" {
		w.add("c.reason = ?", f.Reason)
	}
	if f.Q != "" {
		w.add(`c.card LIKE ? ESCAPE '\'`, likeArg(s.D.S(f.Q)))
	}
	limit := w.arg(f.Limit + 1)
	return queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.MealRow, error) {
		row := domain.MealRow{Kind: domain.RowCard}
		row.Decision = eldergate.DecisionRefused
		err := r.Scan(&row.EventID, &row.GW, &row.Site, &row.Card, &row.Reason, Time(&row.At), Time(&row.ReceivedAt), &row.SiteName)
		return row, err
	}, `SELECT c.event_id, c.gw, c.site, c.card, c.reason, c.at, c.received_at, COALESCE(u.name, '')
		FROM card_taps c LEFT JOIN org_units u ON u.id = c.site
		WHERE `+w.String()+` ORDER BY c.at DESC, c.event_id DESC LIMIT `+limit, w.args...)
}

// elderNames sets the masked names of the meal rows' elders, read from the
// cloud roster of each row's site.
func (s *Store) elderNames(ctx context.Context, rows []domain.MealRow) error {
	sites, elders := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		if r.ElderID != "" {
			sites[r.Site], elders[r.ElderID] = true, true
		}
	}
	roster, err := s.rosterOf(ctx, s.Conn(), sites, elders)
	if err != nil {
		return err
	}
	for i, r := range rows {
		if e, ok := roster[r.Site+"\x00"+r.ElderID]; ok {
			rows[i].ElderName = eldergate.MaskName(e.Name)
		}
	}
	return nil
}
