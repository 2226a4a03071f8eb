package cloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/google/uuid"
)

// BenchmarkSettlement: the settlement of a whole district for one month
// (store rows + computation) on both engines. The month holds
// EG_SETTLE_MEALS meals (default 180,000: a tenth of issue 12's district
// month of 200 sites × 300 meals a day × 30 days; set 1800000 for the
// full one) over 200 sites in 4 streets × 5 communities, each with two
// funding shares, a tenth of them outside the elder's jurisdiction, some
// voided. They are stored through IngestBatches (500-event batches), not
// timed, then the settlement read once untimed (EG_SETTLE_COLD=1 skips
// that). Timed: SettlementRows, SettlementAdjustments (none: no month is
// closed) and reports.Settlement. Reports ms/settlement.
func BenchmarkSettlement(b *testing.B) {
	n := 180_000
	if v, err := strconv.Atoi(os.Getenv("EG_SETTLE_MEALS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	stores := benchStores(ctx)
	tz, _ := time.LoadLocation("Asia/Shanghai")
	from, to, _ := reports.ParseMonth("2026-11", tz)
	for _, sc := range stores {
		b.Run("store="+sc.name, func(b *testing.B) {
			st := sc.open(b)
			defer st.Close()
			fillDistrictMonth(b, st, n, from, to, tz, false)
			units, err := st.ListOrgUnits(ctx, "d")
			if err != nil {
				b.Fatal(err)
			}
			// One untimed run first: the first scan after the bulk load
			// sets the rows' hint bits (it writes the pages it reads),
			// which a month read long after its meals were stored does not
			// pay. EG_SETTLE_COLD=1 times that first run too.
			if os.Getenv("EG_SETTLE_COLD") == "" {
				if _, _, err := st.SettlementRows(ctx, "d", from, to); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				mr, fr, err := st.SettlementRows(ctx, "d", from, to)
				if err != nil {
					b.Fatal(err)
				}
				adj, err := st.SettlementAdjustments(ctx, "d", "2026-11")
				if err != nil {
					b.Fatal(err)
				}
				rep, err := reports.Settlement("2026-11", tz, units, mr, fr, adj)
				if err != nil {
					b.Fatal(err)
				}
				if got := rep.Total.Meals + rep.Total.Voids; got != int64(n) {
					b.Fatalf("settlement counts %d meals, stored %d", got, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/settlement")
		})
	}
}

// fillDistrictMonth stores n meals of the month [from, to) in st through
// IngestBatch (500-event batches), not timed: 200 sites in 4 streets × 5
// communities (org units d, st0..st3, c0-0.., site-gw0-0-0..), meals site
// by site, each with two funding shares, a tenth outside the elder's
// jurisdiction, one in 997 voided. With refusals, one meal in 50 is
// refused (already_served), one tap in 1,000 is of a card not on the
// roster (a tap_refused audit event: a card_taps row, not a meal), and
// the sites take turns meal by meal (each gateway's events sent in
// batches of 100) instead of one site after the other.
func fillDistrictMonth(b *testing.B, st domain.Store, n int, from, to time.Time, tz *time.Location, refusals bool) {
	ctx := context.Background()
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
	span := to.Sub(from)
	var batch []eldergate.Envelope
	seq := map[string]uint64{}
	t0 := time.Now()
	flush := func() {
		for len(batch) > 0 {
			gw := batch[0].GW
			k := 0
			for k < len(batch) && batch[k].GW == gw {
				k++
			}
			if _, err := st.IngestBatch(ctx, gw, batch[:k], to); err != nil {
				b.Fatal(err)
			}
			batch = batch[k:]
		}
	}
	perGW := map[string][]eldergate.Envelope{} // refusals: each gateway's next batch
	for i := range n {
		site := i * 200 / n // meals site by site
		if refusals {
			site = i % 200 // every site at every hour, as halls eat
		}
		gw := fmt.Sprintf("gw%d-%d-%d", site/50, site/10%5, site%10)
		if refusals && len(batch) > 0 {
			// The meal before went to its own gateway's batch, sent at 100 events.
			g := batch[0].GW
			perGW[g] = append(perGW[g], batch...)
			batch = batch[:0]
			if len(perGW[g]) >= 100 {
				batch = perGW[g]
				flush()
				perGW[g] = nil
			}
		}
		seq[gw]++
		at := from.Add(time.Duration(int64(span) / int64(n) * int64(i)))
		d := eldergate.MealData{ElderID: fmt.Sprintf("E%d", i%5000), Window: "lunch", Day: at.In(tz).Format(time.DateOnly),
			Decision: eldergate.DecisionApproved, PriceFen: 1500, SubsidyFen: 500, PayFen: 1000, Rule: "r1",
			OperatingFen: 100, OperatingBy: "district",
			Funding: []eldergate.FundingShare{{Layer: "city", Code: "440300", Fen: 300}, {Layer: "district", Code: "440304", Fen: 200}}}
		if i%10 == 0 {
			d.Funding[1].Code = "440305"
		}
		if refusals && i%50 == 7 {
			d.Decision, d.Reason, d.PriceFen, d.SubsidyFen, d.PayFen, d.Funding = eldergate.DecisionRefused, eldergate.ReasonAlreadyServed, 0, 0, 0, nil
			d.OperatingFen, d.OperatingBy, d.Rule = 0, "", ""
		}
		raw, _ := json.Marshal(d)
		id, _ := uuid.NewV7()
		batch = append(batch, eldergate.Envelope{ID: id.String(), Kind: eldergate.KindMeal, GW: gw, Site: "site-" + gw,
			Seq: seq[gw], Boot: 1, At: at, Clock: eldergate.ClockSynced, Data: raw})
		if refusals && i%1000 == 3 {
			seq[gw]++
			craw, _ := json.Marshal(map[string]string{"type": "tap_refused", "decision": "refused", "reason": "unknown_card", "credential": fmt.Sprintf("****%04d", i%10000), "reader": "card"})
			cid, _ := uuid.NewV7()
			batch = append(batch, eldergate.Envelope{ID: cid.String(), Kind: eldergate.KindAudit, GW: gw, Site: "site-" + gw,
				Seq: seq[gw], Boot: 1, At: at.Add(time.Second), Clock: eldergate.ClockSynced, Data: craw})
		}
		if i%997 == 0 {
			seq[gw]++
			vraw, _ := json.Marshal(map[string]string{"type": "meal_void", "staff": "s", "meal_event_id": id.String()})
			vid, _ := uuid.NewV7()
			batch = append(batch, eldergate.Envelope{ID: vid.String(), Kind: eldergate.KindAudit, GW: gw, Site: "site-" + gw,
				Seq: seq[gw], Boot: 1, At: at, Clock: eldergate.ClockSynced, Data: vraw})
		}
		if len(batch) >= 500 {
			flush()
		}
	}
	for _, evs := range perGW {
		batch = append(batch, evs...)
	}
	flush()
	b.Logf("%d meals stored in %s", n, time.Since(t0).Round(time.Second))
}

// benchStore is one engine a report benchmark runs on.
type benchStore struct {
	name string
	open func(b *testing.B) domain.Store
}

// benchStores are PostgreSQL (a server started for the benchmark) and
// SQLite (a file in a temporary folder), for the report benchmarks.
func benchStores(ctx context.Context) []benchStore {
	return []benchStore{
		{"postgres", func(b *testing.B) domain.Store {
			pg := testenv.StartPostgres(b)
			st, err := postgres.Open(ctx, pg.Database(b))
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
		{"sqlite", func(b *testing.B) domain.Store {
			st, err := sqlite.OpenFile(ctx, filepath.Join(b.TempDir(), sqlite.FileName))
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
	}
}
