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

// ReviewRows implements domain.ReviewStore in one pass over the meals of
// the scope and month (the (site, at) index), which says per meal whether
// the elder had a recorded meal at another site in the same day and
// window (an EXISTS over the (elder_id, day) index) and whether it is
// voided; the candidates are picked from it here, with the roster
// changes of removals and lost or cancelled credentials, read first. Then
// the meals of the two-site groups (any site) and of the candidates are
// read in chunks of 200 with their event JSON (for the masked
// credential), their void and the elders' roster history.
func (s *Store) ReviewRows(ctx context.Context, scope string, from, to time.Time, night [][2]time.Time) ([]domain.ReviewMeal, []domain.RosterChangeRow, error) {
	c := s.Conn()
	// The first time each elder (any site) had a credential reported lost
	// or cancelled, and was removed from each site, before the month's end.
	lostFrom, removedFrom := map[string]time.Time{}, map[string]time.Time{}
	type change struct {
		site, elder, what string
		at                time.Time
	}
	chs, err := queryAll(ctx, c, func(r *sql.Rows) (change, error) {
		var x change
		return x, r.Scan(&x.site, &x.elder, &x.what, Time(&x.at))
	}, `SELECT site, elder_id, what, at FROM roster_changes
		WHERE at < ? AND (what = 'removed' OR what = 'credential' AND state IN ('lost', 'cancelled'))`, s.D.T(to))
	if err != nil {
		return nil, nil, s.errf("review roster changes: %w", err)
	}
	first := func(m map[string]time.Time, k string, t time.Time) {
		if old, ok := m[k]; !ok || t.Before(old) {
			m[k] = t
		}
	}
	for _, x := range chs {
		if x.what == domain.RosterRemoved {
			first(removedFrom, x.site+"\x00"+x.elder, x.at)
		} else {
			first(lostFrom, x.elder, x.at)
		}
	}
	atNight := func(t time.Time) bool {
		i, _ := slices.BinarySearchFunc(night, t, func(span [2]time.Time, t time.Time) int {
			if !span[1].After(t) {
				return -1
			}
			if span[0].After(t) {
				return 1
			}
			return 0
		})
		return i < len(night) && !night[i][0].After(t) && night[i][1].After(t)
	}

	type group struct{ elder, day, window string }
	ids := map[string]bool{}
	seen := map[group]bool{}
	var groups []group
	rows, err := c.Query(ctx, `SELECT m.event_id, m.site, m.elder_id, m.day, m."window", m.at, m.manual, m.decision,
			CASE WHEN v.meal_event_id IS NULL THEN 0 ELSE 1 END,
			CASE WHEN m.decision <> 'refused' AND m.elder_id <> '' AND EXISTS (SELECT 1 FROM meals o WHERE o.elder_id = m.elder_id
				AND o.day = m.day AND o."window" = m."window" AND o.decision <> 'refused' AND o.site <> m.site) THEN 1 ELSE 0 END
		FROM meals m LEFT JOIN meal_voids v ON v.meal_event_id = m.event_id
		WHERE `+inScope("m.site")+` AND m.at >= ?2 AND m.at < ?3`, scope, s.D.T(from), s.D.T(to))
	if err != nil {
		return nil, nil, s.errf("review meals: %w", err)
	}
	for rows.Next() {
		var id, site, elder, decision string
		var g group
		var at time.Time
		var manual, voided, other int64
		if err := rows.Scan(&id, &site, &elder, &g.day, &g.window, Time(&at), &manual, &decision, &voided, &other); err != nil {
			rows.Close()
			return nil, nil, s.errf("review meals: %w", err)
		}
		g.elder = elder
		recorded := decision != eldergate.DecisionRefused
		lost, lok := lostFrom[elder]
		removed, rok := removedFrom[site+"\x00"+elder]
		if other != 0 && !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
		if manual != 0 || voided != 0 || atNight(at) || recorded && (lok && !at.Before(lost) || rok && !at.Before(removed)) {
			ids[id] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, s.errf("review meals: %w", err)
	}
	// Every recorded meal of the two-site groups, at any site.
	for chunk := range slices.Chunk(groups, 100) {
		var or []string
		var a []any
		for _, g := range chunk {
			or = append(or, `(m.elder_id = ? AND m.day = ? AND m."window" = ?)`)
			a = append(a, g.elder, g.day, g.window)
		}
		got, err := queryAll(ctx, c, scanString, `SELECT m.event_id FROM meals m WHERE m.decision <> 'refused' AND (`+strings.Join(or, " OR ")+`)`, a...)
		if err != nil {
			return nil, nil, s.errf("review two sites: %w", err)
		}
		for _, id := range got {
			ids[id] = true
		}
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
	kept := map[string]string{} // a removed elder's masked name, kept with the change
	for _, h := range hist {
		if k := h.Site + "\x00" + h.ElderID; kept[k] == "" {
			kept[k] = h.Name
		}
	}
	for i := range meals {
		m := &meals[i]
		m.InScope = in[m.Site]
		if e, ok := roster[m.Site+"\x00"+m.ElderID]; ok {
			m.Name = eldergate.MaskName(e.Name)
		} else {
			m.Name = kept[m.Site+"\x00"+m.ElderID]
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
