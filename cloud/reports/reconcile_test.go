package reports_test

import (
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/policy"
)

const recBody = `version: v1
time_zone: Asia/Shanghai
match: first_match
windows:
  - {name: lunch, start: "10:00", end: "14:00", price: {fixed_fen: 1500}}
rules:
  - {id: all, subsidy: {fixed_fen: 1000}}
funding:
  - {layer: district, scope: district, rest: true, outside: lose}
limits:
  - {period: day, count: 1, action: full_pay}
`

// TestReconcileSkipsAndFallbacks: meals the cloud cannot re-decide are
// listed with their reason; one not re-decided for its site's missing
// codes still counts in the elder's usage as its gateway decided it (the
// next meal that day at a coded site is full pay, as the gateway said);
// the table has the same columns in every language.
func TestReconcileSkipsAndFallbacks(t *testing.T) {
	p, err := policy.Parse([]byte(recBody))
	if err != nil {
		t.Fatal(err)
	}
	tz, _ := time.LoadLocation("Asia/Shanghai")
	units := []domain.OrgUnit{
		{ID: "d", Level: domain.LevelDistrict, Path: "/d/", Code: "440304", Name: "区"},
		{ID: "s-coded", Level: domain.LevelSite, Path: "/d/s-coded/", Name: "有代码"},
		{ID: "d2", Level: domain.LevelDistrict, Path: "/d2/", Name: "无代码区"},
		{ID: "s-bare", Level: domain.LevelSite, Path: "/d2/s-bare/", Name: "无代码"},
	}
	elder := eldergate.RosterElder{Elder: eldergate.Elder{ID: "E1", Name: "张三明", HomeDistrict: "440304", Active: true}}
	at := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC) // 11:00 local
	approved := func(id, site string, at time.Time) domain.ReconcileMeal {
		return domain.ReconcileMeal{EventID: id, Site: site, ElderID: "E1", At: at, Window: "lunch", Decision: eldergate.DecisionApproved,
			PolicyVersion: "v1", PriceFen: 1500, SubsidyFen: 1000, PayFen: 500, InScope: true,
			Funding: []eldergate.FundingShare{{Layer: "district", Code: "440304", Fen: 1000}}}
	}
	full := approved("m3", "s-coded", at.Add(time.Hour))
	full.Decision, full.SubsidyFen, full.PayFen, full.Funding = eldergate.DecisionFullPay, 0, 1500, nil
	noVer := approved("m4", "s-coded", at.Add(2*time.Hour))
	noVer.PolicyVersion = ""
	stranger := approved("m5", "s-coded", at.Add(24*time.Hour))
	stranger.ElderID = "E9"
	lost := domain.ReconcileMeal{EventID: "m6", Site: "s-coded", ElderID: "E1", At: at.Add(25 * time.Hour), Decision: eldergate.DecisionRefused,
		Reason: eldergate.ReasonCardLost, PolicyVersion: "v1", InScope: true}
	meals := []domain.ReconcileMeal{approved("m1", "s-bare", at), full, noVer, stranger, lost}
	rep, err := reports.Reconcile(reports.ReconcileInput{Month: "2026-03", TZ: tz, Units: units, Meals: meals,
		Elders: []domain.RosterEntry{{Site: "s-coded", Elder: elder}}, Policies: map[string]*policy.Policy{"v1": p}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Differences) != 0 || rep.Same != 1 || rep.RefusedAtReader != 1 || rep.Meals != 5 {
		t.Fatalf("differences %+v same %d reader %d meals %d", rep.Differences, rep.Same, rep.RefusedAtReader, rep.Meals)
	}
	want := map[string]string{"m1": reports.SkipSiteWithoutCode, "m4": reports.SkipNoPolicyVersion, "m5": reports.SkipElderNotRostered}
	if len(rep.NotRedecidable) != len(want) {
		t.Fatalf("not re-decidable %+v", rep.NotRedecidable)
	}
	for _, s := range rep.NotRedecidable {
		if want[s.EventID] != s.Reason || s.Elder == "张三明" || s.Local == "" {
			t.Errorf("%s: %+v", s.EventID, s)
		}
	}
	var carried reports.SettlementReport
	if carried.AddReconciliation(rep, time.UTC); len(carried.Adjustments) != 0 {
		t.Errorf("adjustments %+v", carried.Adjustments)
	}
	cols := -1
	for _, lang := range reports.Langs {
		tbl, err := reports.ReconcileTable(rep, lang, "x")
		if err != nil {
			t.Fatal(err)
		}
		if cols >= 0 && len(tbl.Header) != cols {
			t.Errorf("%s: %d columns, want %d", lang, len(tbl.Header), cols)
		}
		cols = len(tbl.Header)
		for _, r := range append(tbl.Rows, tbl.Total) {
			if len(r) != cols {
				t.Errorf("%s: a row of %d cells under %d columns", lang, len(r), cols)
			}
		}
	}
	if _, err := reports.ReconcileTable(rep, "fr", "x"); err == nil {
		t.Error("unknown language accepted")
	}
}
