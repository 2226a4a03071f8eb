package cloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/google/uuid"
)

// BenchmarkReview: the items to review of a whole district for one month
// (store rows + rules) on both engines. The month holds EG_REVIEW_MEALS
// lunches (default 180,000, a tenth of issue 12's district month; set
// 1800000 for the full one) at 200 sites in 4 streets × 5 communities,
// between 11:00 and 13:00 in Asia/Shanghai, each elder at their own site
// once a day; one lunch in 500 is eaten by an elder of the next site as
// well (a two_sites_one_window item), one in 100 is keyed by hand, one in
// 997 is voided. Stored through IngestBatch (not timed). Reports ms/review.
func BenchmarkReview(b *testing.B) {
	n := 180_000
	if v, err := strconv.Atoi(os.Getenv("EG_REVIEW_MEALS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	stores := benchStores(ctx)
	tz, _ := time.LoadLocation("Asia/Shanghai")
	from, to, _ := reports.ParseMonth("2026-11", tz)
	const sites = 200
	gwOf := func(site int) string { return fmt.Sprintf("gw%d-%d-%d", site/50, site/10%5, site%10) }
	for _, sc := range stores {
		b.Run("store="+sc.name, func(b *testing.B) {
			st := sc.open(b)
			defer st.Close()
			org := []domain.OrgUnit{{ID: "d", Level: domain.LevelDistrict, Name: "区"}}
			for s := range 4 {
				org = append(org, domain.OrgUnit{ID: fmt.Sprintf("st%d", s), ParentID: "d", Level: domain.LevelStreet, Name: "街道"})
				for c := range 5 {
					org = append(org, domain.OrgUnit{ID: fmt.Sprintf("c%d-%d", s, c), ParentID: fmt.Sprintf("st%d", s), Level: domain.LevelCommunity, Name: "社区"})
					for k := range 10 {
						org = append(org, domain.OrgUnit{ID: fmt.Sprintf("site-gw%d-%d-%d", s, c, k), ParentID: fmt.Sprintf("c%d-%d", s, c), Level: domain.LevelSite, Name: "食堂"})
					}
				}
			}
			for _, u := range org {
				if _, err := st.CreateOrgUnit(ctx, u, from); err != nil {
					b.Fatal(err)
				}
			}
			perDay := n / 30 / sites // lunches per site and day
			seq := map[string]uint64{}
			twoSites, voided := 0, 0
			t0 := time.Now()
			for site := range sites {
				gw := gwOf(site)
				var batch []eldergate.Envelope
				add := func(gw string, kind eldergate.Kind, at time.Time, data any) string {
					raw, _ := json.Marshal(data)
					id, _ := uuid.NewV7()
					seq[gw]++
					batch = append(batch, eldergate.Envelope{ID: id.String(), Kind: kind, GW: gw, Site: "site-" + gw,
						Seq: seq[gw], Boot: 1, At: at, Clock: eldergate.ClockSynced, Data: raw})
					return id.String()
				}
				flush := func() {
					if len(batch) > 0 {
						if _, err := st.IngestBatch(ctx, batch[0].GW, batch, to); err != nil {
							b.Fatal(err)
						}
						batch = batch[:0]
					}
				}
				for day := range 30 {
					for e := range perDay {
						i := (site*30+day)*perDay + e
						at := time.Date(2026, 11, day+1, 11, 0, 0, 0, tz).Add(time.Duration(e) * 2 * time.Hour / time.Duration(perDay))
						elder := fmt.Sprintf("E%d-%d", site, e)
						d := eldergate.MealData{ElderID: elder, Credential: eldergate.MaskID(fmt.Sprintf("CARD%06d", site*1000+e)), Window: "lunch",
							Day: at.In(tz).Format(time.DateOnly), Decision: eldergate.DecisionApproved, PriceFen: 1500, SubsidyFen: 500, PayFen: 1000}
						if i%100 == 0 {
							d.Manual, d.Staff, d.Credential = true, "staff-"+gw, ""
						}
						id := add(gw, eldergate.KindMeal, at, d)
						if i%997 == 0 {
							add(gw, eldergate.KindAudit, at.Add(time.Minute), map[string]string{"type": "meal_void", "staff": "s", "meal_event_id": id})
							voided++
						}
						if i%500 == 0 && site+1 < sites && i%997 != 0 {
							// The elder lunches at the next site too (stored with its batch).
							other := gwOf(site + 1)
							raw, _ := json.Marshal(d)
							oid, _ := uuid.NewV7()
							seq[other]++
							if _, err := st.IngestBatch(ctx, other, []eldergate.Envelope{{ID: oid.String(), Kind: eldergate.KindMeal, GW: other,
								Site: "site-" + other, Seq: seq[other], Boot: 1, At: at.Add(20 * time.Minute), Clock: eldergate.ClockSynced, Data: raw}}, to); err != nil {
								b.Fatal(err)
							}
							twoSites++
						}
						if len(batch) >= 500 {
							flush()
						}
					}
				}
				flush()
			}
			b.Logf("%s: %d lunches stored in %s (%d two-site, %d voided)", sc.name, sites*30*perDay+twoSites, time.Since(t0).Round(time.Second), twoSites, voided)
			units, err := st.ListOrgUnits(ctx, "d")
			if err != nil {
				b.Fatal(err)
			}
			night := reports.NightSpans(from, to, tz)
			b.ResetTimer()
			for b.Loop() {
				meals, changes, err := st.ReviewRows(ctx, "d", from, to, night)
				if err != nil {
					b.Fatal(err)
				}
				rep, err := reports.Review("2026-11", tz, "zh-CN", units, meals, changes)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Counts[reports.KindTwoSites] != twoSites || rep.Counts[reports.KindVoid] != voided || rep.Counts[reports.KindUnusualHours] != 0 {
					b.Fatalf("review counts %v, stored %d two-site lunches and %d voids", rep.Counts, twoSites, voided)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/review")
		})
	}
}
