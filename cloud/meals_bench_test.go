package cloud_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// BenchmarkMealPage: one page (50 rows) of the meals list on both engines
// over a district month of EG_MEALS_N meals (default 180,000; 1800000 for
// issue 12's full district month) stored by fillDistrictMonth with
// refusals (1 in 50) and card taps (1 in 1,000). The cases: the newest
// page of the district; a filtered page (one street, decision refused,
// one week); the card taps of the district (a rare reason); one elder's
// meals; the newest page of a street; and a deep page (the cursor in the middle of the month).
// Reports ms/page.
func BenchmarkMealPage(b *testing.B) {
	n := 180_000
	if v, err := strconv.Atoi(os.Getenv("EG_MEALS_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	tz, _ := time.LoadLocation("Asia/Shanghai")
	from, to, _ := reports.ParseMonth("2026-11", tz)
	week := from.AddDate(0, 0, 14)
	cases := []struct {
		name string
		f    domain.MealFilter
	}{
		{"newest", domain.MealFilter{Scope: "d"}},
		{"street", domain.MealFilter{Scope: "st1"}},
		{"street-refused-week", domain.MealFilter{Scope: "st2", Decision: eldergate.DecisionRefused, From: week, To: week.AddDate(0, 0, 7)}},
		{"unknown-cards", domain.MealFilter{Scope: "d", Reason: eldergate.ReasonUnknownCard}},
		{"elder", domain.MealFilter{Scope: "d", Elder: "E1234"}},
		{"deep", domain.MealFilter{Scope: "d", Before: domain.MealCursor{At: from.Add(to.Sub(from) / 2), ID: "ffffffff"}}},
		{"deep-street-refused", domain.MealFilter{Scope: "st1", Decision: eldergate.DecisionRefused, Before: domain.MealCursor{At: from.Add(to.Sub(from) / 2), ID: "ffffffff"}}},
	}
	for _, sc := range benchStores(ctx) {
		b.Run("store="+sc.name, func(b *testing.B) {
			st := sc.open(b)
			defer st.Close()
			fillDistrictMonth(b, st, n, from, to, tz, true)
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					f := c.f
					f.Limit = 50
					rows, _, err := st.MealPage(ctx, f) // untimed: warms the pages read
					if err != nil {
						b.Fatal(err)
					}
					if len(rows) == 0 {
						b.Fatalf("%s: no rows", c.name)
					}
					b.ResetTimer()
					for b.Loop() {
						if _, _, err := st.MealPage(ctx, f); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
				})
			}
		})
	}
}
