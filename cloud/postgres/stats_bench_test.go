package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// BenchmarkServiceStatsDistrictMonth: the service statistics of a
// district month (1.8 million meals) on PostgreSQL.
func BenchmarkServiceStatsDistrictMonth(b *testing.B) {
	pg := testenv.StartPostgres(b)
	ctx := context.Background()
	dsn, err := pg.NewDatabase(ctx)
	if err != nil {
		b.Fatal(err)
	}
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now()
	storetest.FillDistrictMonth(b, st, st.DB, st.D.Rebind,
		fmt.Sprintf(`WITH n(i) AS (SELECT generate_series(0, %d))`, storetest.BenchMeals-1),
		st.D.T(time.Date(2026, 12, 15, 4, 0, 0, 0, time.UTC)))
	if _, err := st.DB.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d meals in %v", storetest.BenchMeals, time.Since(t0))
	// With the dialect's work_mem for reports, and without (the default
	// 4 MB) for comparison.
	setting := st.D.AnalyticsSQL
	defer func() { st.D.AnalyticsSQL = setting }()
	for _, c := range []struct{ name, sql string }{{"work_mem=64MB", setting}, {"work_mem=default", ""}, {"work_mem=64MB-again", setting}} {
		b.Run(c.name, func(b *testing.B) {
			st.D.AnalyticsSQL = c.sql
			storetest.BenchServiceStats(b, st)
		})
	}
}
