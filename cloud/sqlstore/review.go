package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// ReviewRows implements domain.ReviewStore: one query per kind of
// candidate gives event ids, then the meals of those ids are read in
// chunks of 200 with their event JSON (for the masked credential) and
// their void. Each candidate query runs over an index: meals (site, at),
// meals (elder_id, day), roster_changes (elder_id, at).
func (s *Store) ReviewRows(ctx context.Context, scope string, from, to time.Time, night [][2]time.Time) ([]domain.ReviewMeal, []domain.RosterChangeRow, error) {
	c := s.Conn()
	month := inScope("m.site") + ` AND m.at >= ?2 AND m.at < ?3`
	args := []any{scope, s.D.T(from), s.D.T(to)}
	ids := map[string]bool{}
	collect := func(what, q string, args ...any) error {
		got, err := queryAll(ctx, c, scanString, q, args...)
		if err != nil {
			return s.errf("review %s: %w", what, err)
		}
		for _, id := range got {
			ids[id] = true
		}
		return nil
	}

	// One elder, one local day and window, recorded meals at two sites:
	// the groups with a meal in scope and month, then all their meals.
	type group struct{ elder, day, window string }
	groups, err := queryAll(ctx, c, func(r *sql.Rows) (group, error) {
		var g group
		return g, r.Scan(&g.elder, &g.day, &g.window)
	}, `SELECT DISTINCT m.elder_id, m.day, m."window" FROM meals m
		WHERE `+month+` AND m.decision <> 'refused' AND m.elder_id <> ''
		AND EXISTS (SELECT 1 FROM meals o WHERE o.elder_id = m.elder_id AND o.day = m.day AND o."window" = m."window"
			AND o.decision <> 'refused' AND o.site <> m.site)`, args...)
	if err != nil {
		return nil, nil, s.errf("review two sites: %w", err)
	}
	for chunk := range slices.Chunk(groups, 100) {
		var or []string
		var a []any
		for _, g := range chunk {
			or = append(or, `(m.elder_id = ? AND m.day = ? AND m."window" = ?)`)
			a = append(a, g.elder, g.day, g.window)
		}
		if err := collect("two sites", `SELECT m.event_id FROM meals m WHERE m.decision <> 'refused' AND (`+strings.Join(or, " OR ")+`)`, a...); err != nil {
			return nil, nil, err
		}
	}
	if err := collect("manual", `SELECT m.event_id FROM meals m WHERE `+month+` AND m.manual = 1`, args...); err != nil {
		return nil, nil, err
	}
	if err := collect("voids", `SELECT m.event_id FROM meals m JOIN meal_voids v ON v.meal_event_id = m.event_id WHERE `+month, args...); err != nil {
		return nil, nil, err
	}
	for chunk := range slices.Chunk(night, 50) {
		var or []string
		a := slices.Clone(args)
		for _, n := range chunk {
			or = append(or, fmt.Sprintf(`(m.at >= ?%d AND m.at < ?%d)`, len(a)+1, len(a)+2))
			a = append(a, s.D.T(n[0]), s.D.T(n[1]))
		}
		if err := collect("night", `SELECT m.event_id FROM meals m WHERE `+month+` AND m.manual = 0 AND (`+strings.Join(or, " OR ")+`)`, a...); err != nil {
			return nil, nil, err
		}
	}
	if err := collect("roster changes", `SELECT DISTINCT m.event_id FROM meals m JOIN roster_changes c ON c.elder_id = m.elder_id AND c.at <= m.at
		AND (c.what = 'removed' AND c.site = m.site OR c.what = 'credential' AND c.state IN ('lost', 'cancelled'))
		WHERE `+month+` AND m.decision <> 'refused'`, args...); err != nil {
		return nil, nil, err
	}

	meals := make([]domain.ReviewMeal, 0, len(ids))
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(ids)), 200) {
		a := make([]any, len(chunk))
		for i, id := range chunk {
			a[i] = id
		}
		got, err := queryAll(ctx, c, s.scanReviewMeal, `SELECT m.event_id, m.site, m.elder_id, m."window", m.day, m.at, m.received_at,
			m.decision, m.reason, m.manual, m.staff, m.price_fen, m.subsidy_fen, m.pay_fen, e.data, v.staff, v.at
			FROM meals m JOIN events e ON e.id = m.event_id LEFT JOIN meal_voids v ON v.meal_event_id = m.event_id
			WHERE m.event_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`, a...)
		if err != nil {
			return nil, nil, s.errf("review meals: %w", err)
		}
		meals = append(meals, got...)
	}

	// In scope or not (only the other sites of two_sites_one_window can
	// be outside), names from the rosters, the elders' roster history.
	sites, elders := map[string]bool{}, map[string]bool{}
	for _, m := range meals {
		sites[m.Site], elders[m.ElderID] = true, true
	}
	in := map[string]bool{}
	for site := range sites {
		ok, err := s.SiteInScope(ctx, scope, site)
		if err != nil {
			return nil, nil, err
		}
		in[site] = ok
	}
	roster, err := s.rosterOf(ctx, c, sites, elders)
	if err != nil {
		return nil, nil, err
	}
	var hist []domain.RosterChangeRow
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(elders)), 200) {
		a := []any{s.D.T(to)}
		for _, id := range chunk {
			a = append(a, id)
		}
		got, err := queryAll(ctx, c, func(r *sql.Rows) (domain.RosterChangeRow, error) {
			var x domain.RosterChangeRow
			var v int64
			err := r.Scan(&x.Site, &x.ElderID, &x.What, &x.CredKind, &x.Credential, &x.State, &x.Name, &v, Time(&x.At))
			x.Version = uint64(v)
			return x, err
		}, `SELECT site, elder_id, what, cred_kind, credential, state, name, version, at FROM roster_changes
			WHERE at < ? AND elder_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`) ORDER BY at, id`, a...)
		if err != nil {
			return nil, nil, s.errf("review roster history: %w", err)
		}
		hist = append(hist, got...)
	}
	slices.SortStableFunc(hist, func(a, b domain.RosterChangeRow) int { return a.At.Compare(b.At) })
	for i := range meals {
		m := &meals[i]
		m.InScope = in[m.Site]
		if e, ok := roster[m.Site+"\x00"+m.ElderID]; ok {
			m.Name = eldergate.MaskName(e.Name)
		}
		for _, h := range hist { // a removed elder: the name kept with the change
			if m.Name == "" && h.Site == m.Site && h.ElderID == m.ElderID {
				m.Name = h.Name
			}
		}
	}
	slices.SortFunc(meals, func(a, b domain.ReviewMeal) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.EventID, b.EventID)
	})
	if hist == nil {
		hist = []domain.RosterChangeRow{}
	}
	return meals, hist, nil
}

// scanReviewMeal reads one row of the meals query of ReviewRows.
func (s *Store) scanReviewMeal(r *sql.Rows) (domain.ReviewMeal, error) {
	var m domain.ReviewMeal
	var manual int64
	var data string
	var vStaff sql.NullString
	var vAt *time.Time
	if err := r.Scan(&m.EventID, &m.Site, &m.ElderID, &m.Window, &m.Day, Time(&m.At), Time(&m.ReceivedAt),
		&m.Decision, &m.Reason, &manual, &m.Staff, &m.PriceFen, &m.SubsidyFen, &m.PayFen, &data, &vStaff, NullTime(&vAt)); err != nil {
		return m, err
	}
	m.Manual = manual != 0
	if vAt != nil {
		m.Voided, m.VoidedBy, m.VoidedAt = true, vStaff.String, vAt.UTC()
	}
	var d struct {
		Credential string `json:"credential"`
	}
	if json.Unmarshal([]byte(data), &d) == nil && !m.Manual {
		m.Credential = d.Credential
	}
	m.At, m.ReceivedAt = m.At.UTC(), m.ReceivedAt.UTC()
	return m, nil
}
