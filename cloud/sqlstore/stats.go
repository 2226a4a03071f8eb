package sqlstore

import (
	"context"
	"database/sql"

	"github.com/eldergate/eldergate/cloud/domain"
)

// ServiceStats implements domain.StatsStore: four GROUP BY queries and
// one count per week in one read snapshot. The period is selected on the meal's service day
// (a text column YYYY-MM-DD, compared as text).
func (s *Store) ServiceStats(ctx context.Context, scope, firstDay, lastDay string, weeks []domain.DayRange) (domain.ServiceData, error) {
	var out domain.ServiceData
	err := s.readRoster(ctx, "service stats", func(tx *Tx) error {
		if s.D.AnalyticsSQL != "" {
			if _, err := tx.Exec(ctx, s.D.AnalyticsSQL); err != nil {
				return s.errf("service stats: %w", err)
			}
		}
		where := `WHERE ` + inScope("m.site") + ` AND m.day >= ?2 AND m.day <= ?3 AND ` + domain.ServedMealSQL
		var err error
		out.Counts, err = queryAll(ctx, tx.Conn, func(r *sql.Rows) (domain.ServiceCount, error) {
			var c domain.ServiceCount
			return c, r.Scan(&c.Site, &c.Day, &c.Window, &c.Meals)
		}, `SELECT m.site, m.day, m."window", count(*) FROM meals m `+where+`
			GROUP BY m.site, m.day, m."window" ORDER BY m.site, m.day, m."window"`, scope, firstDay, lastDay)
		if err != nil {
			return s.errf("service stats: counts: %w", err)
		}
		scanSE := func(r *sql.Rows) (domain.SiteElder, error) {
			var e domain.SiteElder
			return e, r.Scan(&e.Site, &e.ElderID, &e.Meals)
		}
		out.Elders, err = queryAll(ctx, tx.Conn, scanSE, `SELECT m.site, m.elder_id, count(*) FROM meals m `+where+`
			GROUP BY m.site, m.elder_id ORDER BY m.site, m.elder_id`, scope, firstDay, lastDay)
		if err != nil {
			return s.errf("service stats: elders: %w", err)
		}
		out.Daily, err = queryAll(ctx, tx.Conn, func(r *sql.Rows) (domain.DayElders, error) {
			var d domain.DayElders
			return d, r.Scan(&d.Day, &d.Elders)
		}, `SELECT m.day, count(DISTINCT m.elder_id) FROM meals m `+where+`
			GROUP BY m.day ORDER BY m.day`, scope, firstDay, lastDay)
		if err != nil {
			return s.errf("service stats: daily: %w", err)
		}
		out.Weekly = []domain.DayElders{}
		for _, w := range weeks { // a month touches at most six weeks: one query each
			d := domain.DayElders{Day: w.Key}
			if err := tx.Row(ctx, `SELECT count(DISTINCT m.elder_id) FROM meals m `+where,
				scope, max(w.First, firstDay), min(w.Last, lastDay)).Scan(&d.Elders); err != nil {
				return s.errf("service stats: week %s: %w", w.Key, err)
			}
			out.Weekly = append(out.Weekly, d)
		}
		type rosterRow struct{ site, id, data string }
		rows, err := queryAll(ctx, tx.Conn, func(r *sql.Rows) (rosterRow, error) {
			var x rosterRow
			return x, r.Scan(&x.site, &x.id, &x.data)
		}, `SELECT m.site, m.elder_id, m.data FROM roster_elders m
			WHERE `+inScope("m.site")+` AND m.removed = false ORDER BY m.site, m.elder_id`, scope)
		if err != nil {
			return s.errf("service stats: roster: %w", err)
		}
		out.Roster = []domain.SiteElder{}
		for _, x := range rows {
			e, err := decodeElder(x.id, x.data)
			if err != nil {
				return s.errf("service stats: roster of %s: %w", x.site, err)
			}
			if e.Active { // an inactive elder is not one the site serves
				out.Roster = append(out.Roster, domain.SiteElder{Site: x.site, ElderID: x.id})
			}
		}
		return nil
	})
	return out, err
}
