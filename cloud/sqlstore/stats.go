package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/eldergate/eldergate/cloud/domain"
)

// ServiceStats implements domain.StatsStore: five GROUP BY queries in
// one read snapshot. The period is selected on the meal's service day
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
		if len(weeks) > 0 { // one pass: each day falls in the first week whose last day is not before it
			args := []any{scope, firstDay, lastDay}
			cases := ""
			for _, w := range weeks {
				args = append(args, w.Last, w.Key)
				cases += fmt.Sprintf(" WHEN m.day <= ?%d THEN ?%d", len(args)-1, len(args))
			}
			out.Weekly, err = queryAll(ctx, tx.Conn, func(r *sql.Rows) (domain.DayElders, error) {
				var d domain.DayElders
				return d, r.Scan(&d.Day, &d.Elders)
			}, `SELECT w.wk, count(DISTINCT w.elder_id) FROM (SELECT CASE`+cases+` END AS wk, m.elder_id FROM meals m `+where+`) w
				WHERE w.wk IS NOT NULL GROUP BY w.wk ORDER BY w.wk`, args...)
			if err != nil {
				return s.errf("service stats: weekly: %w", err)
			}
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
