package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// statMeal is one meal the stats test stores.
type statMeal struct {
	gw, elder, window, day, decision string
	voided                           bool // voided by staff: no served meal
}

// testServiceStats: the service statistics of a month, computed from
// the store's aggregates, equal the counts the test makes itself from
// the meals it stored: per site, per roll-up (an elder who ate at two
// sites of a community counted once), the total (a site outside the
// tree included), meals by window, the daily series, the roster and the
// coverage; the weekly series too (elders distinct per week). Refused
// and voided meals and meals of another month are in no figure.
func testServiceStats(t *testing.T, s domain.Store) {
	ctx := context.Background()
	CreateOrgTree(t, s)
	gws := []string{"gw-a1", "gw-a2", "gw-b1", "gw-s1", "gw-x"}
	for _, gw := range gws {
		if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-" + gw}); err != nil {
			t.Fatal(err)
		}
	}
	var meals []statMeal
	add := func(gw, elder, window, day, decision string) {
		meals = append(meals, statMeal{gw, elder, window, day, decision, false})
	}
	for d := 1; d <= 31; d += 3 {
		day := fmt.Sprintf("2026-12-%02d", d)
		add("gw-a1", "E1", "lunch", day, eldergate.DecisionApproved)
		add("gw-a1", "E2", "lunch", day, eldergate.DecisionFullPay)
		add("gw-a2", "E1", "dinner", day, eldergate.DecisionApproved) // E1 at two sites of c-a1
		if d%2 == 1 {
			add("gw-b1", "E3", "breakfast", day, eldergate.DecisionDiscounted)
			add("gw-b1", "E1", "lunch", day, eldergate.DecisionApproved) // E1 in another street too
		}
	}
	add("gw-a1", "E4", "lunch", "2026-12-05", eldergate.DecisionRefused) // refused: no meal
	add("gw-s1", "E5", "lunch", "2026-12-31", eldergate.DecisionApproved)
	add("gw-s1", "E5", "lunch", "2027-01-01", eldergate.DecisionApproved) // next month
	add("gw-s1", "E6", "lunch", "2026-11-30", eldergate.DecisionApproved) // last month
	add("gw-x", "E7", "lunch", "2026-12-10", eldergate.DecisionApproved)  // outside the tree
	add("gw-a1", "E8", "lunch", "2026-12-08", eldergate.DecisionApproved)
	meals[len(meals)-1].voided = true // E8's only meal, voided: E8 was not served
	seq := map[string]uint64{}
	for _, m := range meals {
		day, _ := time.Parse(time.DateOnly, m.day)
		at := day.Add(4 * time.Hour)
		seq[m.gw]++
		d := eldergate.MealData{ElderID: m.elder, Window: m.window, Day: m.day, Decision: m.decision, Reason: eldergate.ReasonOK,
			PriceFen: 1200, SubsidyFen: 500, PayFen: 700, PolicyVer: "p1"}
		if m.decision != eldergate.DecisionApproved {
			d.SubsidyFen, d.PayFen = 0, 1200
		}
		if m.decision == eldergate.DecisionRefused {
			d.Reason, d.PriceFen, d.PayFen = eldergate.ReasonUnknownCard, 0, 0
		}
		batch := []eldergate.Envelope{envelope(t, m.gw, seq[m.gw], eldergate.KindMeal, at, d)}
		if m.voided {
			seq[m.gw]++
			batch = append(batch, envelope(t, m.gw, seq[m.gw], eldergate.KindAudit, at.Add(time.Minute), map[string]any{
				"type": "meal_void", "staff": "staff-1", "meal_event_id": batch[0].ID, "elder_id": m.elder}))
		}
		if _, err := s.IngestBatch(ctx, m.gw, batch, at); err != nil {
			t.Fatalf("ingest %+v: %v", m, err)
		}
	}
	rosters := map[string][]eldergate.RosterElder{
		"site-gw-a1": {rElder("E1", "张三", "C1"), rElder("E2", "李四", "C2"), rElder("E4", "王五", "C4"), rElder("E8", "赵六", "C8")},
		"site-gw-a2": {rElder("E1", "张三", "C1"), rElder("E9", "钱七", "C9")},
		"site-gw-b1": {rElder("E3", "孙八", "C3")},
	}
	inactive := rElder("E10", "周九", "C10")
	inactive.Active = false
	rosters["site-gw-b1"] = append(rosters["site-gw-b1"], inactive)
	for site, els := range rosters {
		if _, err := s.ReplaceRoster(ctx, site, els, base); err != nil {
			t.Fatal(err)
		}
	}
	// E9 is removed from site-gw-a2: not on the roster any more.
	if _, err := s.ReplaceRoster(ctx, "site-gw-a2", rosters["site-gw-a2"][:1], base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	rosters["site-gw-a2"] = rosters["site-gw-a2"][:1]

	for _, scope := range []string{"", "d-north", "c-a1"} {
		units, err := s.ListOrgUnits(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		month, _ := reports.ParsePeriod("2026-12")
		data, err := s.ServiceStats(ctx, scope, month.FirstDay, month.LastDay, reports.ServiceWeeks(month))
		if err != nil {
			t.Fatalf("ServiceStats(%q): %v", scope, err)
		}
		rep, err := reports.Service(month, time.UTC, units, data)
		if err != nil {
			t.Fatal(err)
		}
		// The expected figures, from the meals stored, per set of sites.
		siteOf := func(gw string) string { return "site-" + gw }
		pathOf := map[string]string{}
		for _, u := range units {
			pathOf[u.ID] = u.Path
		}
		inScope := func(site string) bool {
			if scope == "" {
				return true
			}
			p, ok := pathOf[site]
			return ok && strings.Contains(p, "/"+scope+"/")
		}
		type want struct {
			meals, elders, roster int64
			byWindow              map[string]int64
		}
		expect := func(sites func(string) bool) want {
			w := want{byWindow: map[string]int64{}}
			el, ro := map[string]bool{}, map[string]bool{}
			for _, m := range meals {
				site := siteOf(m.gw)
				if !sites(site) || !inScope(site) || m.decision == eldergate.DecisionRefused || m.voided || m.day < "2026-12-01" || m.day > "2026-12-31" {
					continue
				}
				w.meals++
				w.byWindow[m.window]++
				el[m.elder] = true
			}
			for site, els := range rosters {
				if sites(site) && inScope(site) {
					for _, e := range els {
						if e.Active {
							ro[e.ID] = true
						}
					}
				}
			}
			w.elders, w.roster = int64(len(el)), int64(len(ro))
			return w
		}
		check := func(r reports.ServiceRow, w want) {
			t.Helper()
			if r.Meals != w.meals || r.Elders != w.elders || r.Roster != w.roster {
				t.Errorf("scope %q: %s %s: meals %d elders %d roster %d, want %d %d %d", scope, r.Level, r.Unit, r.Meals, r.Elders, r.Roster, w.meals, w.elders, w.roster)
			}
			for win, n := range w.byWindow {
				if r.ByWindow[win] != n {
					t.Errorf("scope %q: %s %s: %s %d, want %d", scope, r.Level, r.Unit, win, r.ByWindow[win], n)
				}
			}
			switch {
			case w.roster == 0 && r.CoveragePct != nil:
				t.Errorf("scope %q: %s: coverage %v with no roster", scope, r.Unit, *r.CoveragePct)
			case w.roster > 0 && (r.CoveragePct == nil || *r.CoveragePct != float64(int64(float64(w.elders)*1000/float64(w.roster)+0.5))/10):
				t.Errorf("scope %q: %s: coverage %v, want %d/%d", scope, r.Unit, r.CoveragePct, w.elders, w.roster)
			}
		}
		seen := 0
		for _, r := range rep.Rows {
			if !r.InTree {
				site := r.Unit
				check(r, expect(func(s string) bool { return s == site }))
				seen++
				continue
			}
			prefix := r.Path
			check(r, expect(func(s string) bool { p, ok := pathOf[s]; return ok && strings.HasPrefix(p, prefix) }))
			seen++
		}
		check(rep.Total, expect(func(string) bool { return true }))
		if seen != len(units)+map[string]int{"": 1}[scope] { // site-gw-x only in the whole scope
			t.Errorf("scope %q: %d rows for %d units", scope, seen, len(units))
		}
		// The daily series.
		if len(rep.Daily) != 31 {
			t.Fatalf("scope %q: %d days", scope, len(rep.Daily))
		}
		for _, d := range rep.Daily {
			var n int64
			el := map[string]bool{}
			for _, m := range meals {
				if m.day == d.Day && inScope(siteOf(m.gw)) && m.decision != eldergate.DecisionRefused && !m.voided {
					n++
					el[m.elder] = true
				}
			}
			if d.Meals != n || d.Elders != int64(len(el)) {
				t.Errorf("scope %q: day %s: %d meals %d elders, want %d %d", scope, d.Day, d.Meals, d.Elders, n, len(el))
			}
		}
		// The weekly series: ISO weeks cut to December, elders distinct
		// per week; and the week asked for as the period itself.
		if len(rep.Weekly) != 5 || rep.Weekly[0].FirstDay != "2026-12-01" || rep.Weekly[4].Week != "2026-W53" {
			t.Fatalf("scope %q: weeks %+v", scope, rep.Weekly)
		}
		for _, w := range rep.Weekly {
			var n int64
			el := map[string]bool{}
			for _, m := range meals {
				if m.day >= w.FirstDay && m.day <= w.LastDay && inScope(siteOf(m.gw)) && m.decision != eldergate.DecisionRefused && !m.voided {
					n++
					el[m.elder] = true
				}
			}
			if w.Meals != n || w.Elders != int64(len(el)) {
				t.Errorf("scope %q: week %s: %d meals %d elders, want %d %d", scope, w.Week, w.Meals, w.Elders, n, len(el))
			}
			if w.Week != "2026-W50" {
				continue
			}
			week, _ := reports.ParsePeriod(w.Week)
			wd, err := s.ServiceStats(ctx, scope, week.FirstDay, week.LastDay, reports.ServiceWeeks(week))
			if err != nil {
				t.Fatal(err)
			}
			wr, err := reports.Service(week, time.UTC, units, wd)
			if err != nil || wr.Total.Meals != n || wr.Total.Elders != int64(len(el)) || len(wr.Daily) != 7 || len(wr.Weekly) != 1 || wr.Weekly[0].Elders != w.Elders {
				t.Errorf("scope %q: period %s: total %+v, %d days, weeks %+v, %v; want %d meals %d elders", scope, w.Week, wr.Total, len(wr.Daily), wr.Weekly, err, n, len(el))
			}
		}
	}
	// A community's figures as numbers too (not only as computed above):
	// c-a1 has E1 and E2 (E4 was refused), E1 counted once over its sites.
	units, _ := s.ListOrgUnits(ctx, "c-a1")
	month, _ := reports.ParsePeriod("2026-12")
	data, err := s.ServiceStats(ctx, "c-a1", "2026-12-01", "2026-12-31", reports.ServiceWeeks(month))
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := reports.Service(month, time.UTC, units, data)
	if rep.Total.Elders != 2 || rep.Total.Roster != 4 || rep.Total.Meals != 33 || *rep.Total.CoveragePct != 50 {
		t.Errorf("c-a1 total = %+v, want 33 meals, 2 elders, roster 4 (E1 E2 E4 E8), 50 %%", rep.Total)
	}
}
