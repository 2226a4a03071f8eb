package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// District month of the statistics benchmark: 200 sites (10 streets × 4
// communities × 5 sites), 300 elders a site eating one meal a day each,
// 30 days of December 2026: 1.8 million meals, 60,000 roster elders.
const (
	benchSites    = 200
	benchPerSite  = 300
	benchDays     = 30
	BenchMeals    = benchSites * benchPerSite * benchDays
	benchPerDay   = benchSites * benchPerSite
	benchDistrict = "d-bench"
)

// FillDistrictMonth creates the benchmark's tree in s and writes its
// meals (with their events) and rosters straight in SQL through db:
// series is the engine's common table expression n(i) of the integers
// 0..BenchMeals-1 (a recursive CTE in SQLite, generate_series in
// PostgreSQL), at the engine's encoding of a time.
func FillDistrictMonth(tb testing.TB, s domain.Store, db *sql.DB, rebind func(string) string, series string, at any) {
	tb.Helper()
	ctx := context.Background()
	mk := func(u domain.OrgUnit) {
		if _, err := s.CreateOrgUnit(ctx, u, base); err != nil {
			tb.Fatal(err)
		}
	}
	mk(domain.OrgUnit{ID: benchDistrict, Level: domain.LevelDistrict, Name: "基准区"})
	for st := range 10 {
		sid := fmt.Sprintf("st-%d", st)
		mk(domain.OrgUnit{ID: sid, ParentID: benchDistrict, Level: domain.LevelStreet, Name: "街道 " + sid})
		for c := range 4 {
			cid := fmt.Sprintf("c-%d-%d", st, c)
			mk(domain.OrgUnit{ID: cid, ParentID: sid, Level: domain.LevelCommunity, Name: "社区 " + cid})
			for k := range 5 {
				n := st*20 + c*5 + k
				mk(domain.OrgUnit{ID: fmt.Sprintf("site-%d", n), ParentID: cid, Level: domain.LevelSite, Name: fmt.Sprintf("食堂 %d", n)})
			}
		}
	}
	// i: day = i / 60000, site = (i % 60000) / 300, elder = i % 300.
	site := `'site-' || CAST((n.i % 60000) / 300 AS TEXT)`
	elder := `'E' || CAST((n.i % 60000) / 300 AS TEXT) || '-' || CAST(n.i % 300 AS TEXT)`
	day := `'2026-12-' || substr(CAST(101 + n.i / 60000 AS TEXT), 2, 2)`
	window := `CASE n.i % 3 WHEN 0 THEN 'breakfast' WHEN 1 THEN 'lunch' ELSE 'dinner' END`
	for _, q := range []string{
		series + ` INSERT INTO events (id, gw, kind, site, seq, boot, at, clock, data, received_at)
			SELECT 'ev-' || CAST(n.i AS TEXT), 'gw-' || ` + site + `, 'meal', ` + site + `, n.i, 1, ?, 'synced', '{}', ? FROM n`,
		series + ` INSERT INTO meals (event_id, gw, site, elder_id, "window", day, decision, reason, price_fen, subsidy_fen, pay_fen, at, received_at)
			SELECT 'ev-' || CAST(n.i AS TEXT), 'gw-' || ` + site + `, ` + site + `, ` + elder + `, ` + window + `, ` + day + `,
				CASE WHEN n.i % 50 = 0 THEN 'refused' ELSE 'approved' END, 'ok', 1200, 500, 700, ?, ? FROM n`,
	} {
		if _, err := db.ExecContext(ctx, rebind(q), at, at); err != nil {
			tb.Fatalf("fill: %v", err)
		}
	}
	// The rosters: 300 elders a site, as the meals name them, active.
	if _, err := db.ExecContext(ctx, rebind(`INSERT INTO roster_elders (site, elder_id, data, version)
		SELECT `+site+`, `+elder+`, '{"id":"' || `+elder+` || '","name":"x","card":"","active":true}', 1
		FROM (`+seriesSelect(series)+`) n WHERE n.i < 60000`)); err != nil {
		tb.Fatalf("fill rosters: %v", err)
	}
}

// seriesSelect turns "WITH ... n(i) AS (...)" into a subquery of n.
func seriesSelect(series string) string { return series + ` SELECT i FROM n` }

// BenchServiceStats measures the service statistics of the benchmark's
// whole district (the store's aggregates and the roll-up) and checks
// their totals.
func BenchServiceStats(b *testing.B, s domain.Store) {
	ctx := context.Background()
	units, err := s.ListOrgUnits(ctx, benchDistrict)
	if err != nil {
		b.Fatal(err)
	}
	var worst time.Duration
	for b.Loop() {
		t0 := time.Now()
		month, _ := reports.ParsePeriod("2026-12")
		data, err := s.ServiceStats(ctx, benchDistrict, month.FirstDay, month.LastDay, reports.ServiceWeeks(month))
		if err != nil {
			b.Fatal(err)
		}
		rep, err := reports.Service(month, time.UTC, units, data)
		if err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(t0))
		refused := int64((BenchMeals + 49) / 50)
		if rep.Total.Meals != BenchMeals-refused || rep.Total.Roster != benchPerDay || rep.Total.Elders != benchPerDay-benchPerDay/50 || // (site*300+elder) % 50 == 0: refused every day
			len(rep.Rows) != 200+40+10+1 {
			b.Fatalf("total %+v, %d rows", rep.Total, len(rep.Rows))
		}
	}
	b.ReportMetric(worst.Seconds(), "max-s")
}
