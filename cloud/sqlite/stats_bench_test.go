package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// BenchmarkServiceStatsDistrictMonth: the service statistics of a
// district month (200 sites × 300 meals a day × 30 days = 1.8 million
// meals) on SQLite: the store's aggregates and the roll-up.
func BenchmarkServiceStatsDistrictMonth(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now()
	storetest.FillDistrictMonth(b, st, st.DB, st.D.Rebind,
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d)`, storetest.BenchMeals-1),
		st.D.T(time.Date(2026, 12, 15, 4, 0, 0, 0, time.UTC)))
	b.Logf("filled %d meals in %v", storetest.BenchMeals, time.Since(t0))
	b.ResetTimer()
	storetest.BenchServiceStats(b, st)
}
