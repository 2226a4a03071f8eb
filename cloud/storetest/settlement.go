package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// settleTree: one district, one street, two communities; sites a1 and a2
// in community c1, b1 in c2. Every site lies in district 440304.
var settleTree = []domain.OrgUnit{
	{ID: "d-settle", Level: domain.LevelDistrict, Name: "结算区"},
	{ID: "st-settle", ParentID: "d-settle", Level: domain.LevelStreet, Name: "结算街道"},
	{ID: "c1", ParentID: "st-settle", Level: domain.LevelCommunity, Name: "一社区"},
	{ID: "c2", ParentID: "st-settle", Level: domain.LevelCommunity, Name: "二社区"},
	{ID: "site-gw-a1", ParentID: "c1", Level: domain.LevelSite, Name: "A1 食堂"},
	{ID: "site-gw-a2", ParentID: "c1", Level: domain.LevelSite, Name: "A2 食堂"},
	{ID: "site-gw-b1", ParentID: "c2", Level: domain.LevelSite, Name: "B1 食堂"},
}

// settleElder is an elder of the test with how the gateway's policy
// engine would fund their meals at these sites.
type settleElder struct {
	elder eldergate.Elder
	rule  string
	// shares of an approved meal: E1 at home (city, district, charity);
	// E2 from district 440305 under outside: site (the site's district
	// 440304 pays the district layer: outside); E3 from 440399 under
	// outside: lose (every share lost: full pay, outside_jurisdiction).
	shares []eldergate.FundingShare
}

var settleElders = []settleElder{
	{eldergate.Elder{ID: "E1", Name: "张三", Active: true, Category: "低保", HomeCity: "440300", HomeDistrict: "440304", HomeStreet: "440304001"},
		"r-low", []eldergate.FundingShare{{Layer: "city", Code: "440300", Fen: 200}, {Layer: "district", Code: "440304", Fen: 150}, {Layer: "charity", Fen: 50}}},
	{eldergate.Elder{ID: "E2", Name: "李四", Active: true, Category: "特困", HomeCity: "440300", HomeDistrict: "440305", HomeStreet: "440305002"},
		"r-age", []eldergate.FundingShare{{Layer: "city", Code: "440300", Fen: 200}, {Layer: "district", Code: "440304", Fen: 120}}},
	{eldergate.Elder{ID: "E3", Name: "王五", Active: true, HomeCity: "440300", HomeDistrict: "440399", HomeStreet: "440399003"},
		"", nil},
}

// testSettlement is acceptance test 1 of issue 12: the settlement's
// totals equal sums computed here from the meals stored, per site, per
// roll-up and per funding layer; the outside meals are charged to the
// layer (and division code) that pays for them.
func testSettlement(t *testing.T, s domain.Store) {
	ctx := context.Background()
	for _, u := range settleTree {
		if _, err := s.CreateOrgUnit(ctx, u, base); err != nil {
			t.Fatalf("CreateOrgUnit(%s): %v", u.ID, err)
		}
	}
	gws := []string{"gw-a1", "gw-a2", "gw-b1"}
	for _, gw := range gws {
		var roster []eldergate.RosterElder
		for i, e := range settleElders {
			el := e.elder
			roster = append(roster, eldergate.RosterElder{Elder: el, Credentials: []eldergate.Credential{
				{Kind: eldergate.CredCard, Value: fmt.Sprintf("C%d", i+1), State: eldergate.CredActive}}})
		}
		if _, err := s.ReplaceRoster(ctx, "site-"+gw, roster, base); err != nil {
			t.Fatalf("ReplaceRoster: %v", err)
		}
	}
	tz, _ := time.LoadLocation("Asia/Shanghai")
	monthStart := time.Date(2025, 3, 1, 0, 0, 0, 0, tz)
	rng := rand.New(rand.NewPCG(12, 34))
	var events = map[string][]eldergate.Envelope{} // gw -> meals
	var voidsFirst, voidsAfter = map[string][]eldergate.Envelope{}, map[string][]eldergate.Envelope{}
	seq := map[string]uint64{}
	next := func(gw string) uint64 { seq[gw]++; return seq[gw] }
	for i := range 90 {
		gw := gws[rng.IntN(len(gws))]
		el := settleElders[rng.IntN(len(settleElders))]
		// Meals from the last day of February (not in the month) to the
		// month's last day.
		at := monthStart.Add(-12*time.Hour + time.Duration(i)*8*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
		d := eldergate.MealData{ElderID: el.elder.ID, Window: "lunch", Day: at.Format(time.DateOnly),
			Decision: eldergate.DecisionApproved, Reason: eldergate.ReasonOK, PriceFen: 1500, PolicyVer: "p1"}
		switch {
		case el.shares == nil:
			d.Decision, d.Reason, d.PayFen = eldergate.DecisionFullPay, "outside_jurisdiction", d.PriceFen
		case rng.IntN(5) == 0: // discount only
			d.Decision, d.Rule, d.DiscountFen = eldergate.DecisionDiscounted, "r-disc", 300
			d.PayFen = d.PriceFen - d.DiscountFen
		case rng.IntN(8) == 0:
			d.Decision, d.Reason, d.PayFen = eldergate.DecisionRefused, "subsidy_limit_reached", 0
			d.PriceFen = 0
		default:
			d.Rule, d.Funding = el.rule, el.shares
			for _, f := range el.shares {
				d.SubsidyFen += f.Fen
			}
			if rng.IntN(3) == 0 {
				d.DiscountFen = 100
			}
			d.PayFen = d.PriceFen - d.SubsidyFen - d.DiscountFen
			d.OperatingFen, d.OperatingBy = 100, "district"
		}
		if rng.IntN(6) == 0 {
			d.Manual, d.Staff = true, "staff-1"
		}
		e := envelope(t, gw, next(gw), eldergate.KindMeal, at, d)
		if d.Decision != eldergate.DecisionRefused && rng.IntN(7) == 0 {
			v := envelope(t, gw, next(gw), eldergate.KindAudit, at.Add(time.Minute), map[string]any{
				"type": "meal_void", "staff": "staff-1", "meal_event_id": e.ID, "elder_id": d.ElderID})
			if len(voidsFirst[gw]) <= len(voidsAfter[gw]) {
				voidsFirst[gw] = append(voidsFirst[gw], v) // the void arrives before its meal
			} else {
				voidsAfter[gw] = append(voidsAfter[gw], v)
			}
			if rng.IntN(2) == 0 { // voided twice: one void
				voidsAfter[gw] = append(voidsAfter[gw], envelope(t, gw, next(gw), eldergate.KindAudit, at.Add(2*time.Minute), map[string]any{
					"type": "meal_void", "staff": "staff-2", "meal_event_id": e.ID}))
			}
		}
		events[gw] = append(events[gw], e)
	}
	for _, batch := range []map[string][]eldergate.Envelope{voidsFirst, events, voidsAfter} {
		for _, gw := range gws {
			if len(batch[gw]) == 0 {
				continue
			}
			if _, err := s.IngestBatch(ctx, gw, batch[gw], base); err != nil {
				t.Fatalf("IngestBatch: %v", err)
			}
		}
	}

	from, to, err := reports.ParseMonth("2025-03", tz)
	if err != nil {
		t.Fatal(err)
	}
	units, err := s.ListOrgUnits(ctx, "d-settle")
	if err != nil {
		t.Fatal(err)
	}
	mr, fr, err := s.SettlementRows(ctx, "d-settle", from, to)
	if err != nil {
		t.Fatalf("SettlementRows: %v", err)
	}
	rep, err := reports.Settlement("2025-03", tz, units, mr, fr, nil)
	if err != nil {
		t.Fatal(err)
	}

	// The expected figures, from the meals as the test built them.
	type exp struct {
		meals, subsidised, price, subsidy, pay, discount, operating, manual int64
		outsideMeals, outsideFen                                            int64
		voids, voidPrice, voidSubsidy                                       int64
		layer                                                               map[string]int64
		outside                                                             map[string]int64 // layer/code
		rule, cat                                                           map[string]int64
	}
	newExp := func() *exp {
		return &exp{layer: map[string]int64{}, outside: map[string]int64{}, rule: map[string]int64{}, cat: map[string]int64{}}
	}
	want := map[string]*exp{} // site, community, street, district, "" total
	parents := map[string][]string{
		"site-gw-a1": {"site-gw-a1", "c1", "st-settle", "d-settle", ""},
		"site-gw-a2": {"site-gw-a2", "c1", "st-settle", "d-settle", ""},
		"site-gw-b1": {"site-gw-b1", "c2", "st-settle", "d-settle", ""},
	}
	for _, u := range settleTree {
		want[u.ID] = newExp()
	}
	want[""] = newExp()
	var inMonth, outsideCharged int
	// Walk the meal envelopes stored (they carry the time).
	for gw, evs := range events {
		voided := map[string]bool{}
		for _, v := range append(voidsFirst[gw], voidsAfter[gw]...) {
			var a struct {
				MealEventID string `json:"meal_event_id"`
			}
			if err := json.Unmarshal(v.Data, &a); err != nil {
				t.Fatal(err)
			}
			voided[a.MealEventID] = true
		}
		for _, e := range evs {
			if e.At.Before(from) || !e.At.Before(to) {
				continue
			}
			d, err := e.Meal()
			if err != nil {
				t.Fatal(err)
			}
			if d.Decision == eldergate.DecisionRefused {
				continue
			}
			inMonth++
			var home eldergate.Elder
			for _, el := range settleElders {
				if el.elder.ID == d.ElderID {
					home = el.elder
				}
			}
			for _, u := range parents[e.Site] {
				w := want[u]
				if voided[e.ID] {
					w.voids++
					w.voidPrice += int64(d.PriceFen)
					w.voidSubsidy += int64(d.SubsidyFen)
					continue
				}
				w.meals++
				w.price += int64(d.PriceFen)
				w.subsidy += int64(d.SubsidyFen)
				w.pay += int64(d.PayFen)
				w.discount += int64(d.DiscountFen)
				w.operating += int64(d.OperatingFen)
				if d.Manual {
					w.manual++
				}
				if d.SubsidyFen > 0 {
					w.subsidised++
					w.rule[d.Rule]++
					w.cat[home.Category]++
				}
				out := d.Reason == "outside_jurisdiction"
				for _, f := range d.Funding {
					w.layer[f.Layer] += int64(f.Fen)
					// Outside: the share's code is not the elder's home
					// district (E2's district share is the site's 440304).
					if f.Layer == "district" && f.Code != home.HomeDistrict {
						out = true
						w.outside[f.Layer+"/"+f.Code] += int64(f.Fen)
						w.outsideFen += int64(f.Fen)
						if u == "" {
							outsideCharged++
						}
					}
				}
				if out {
					w.outsideMeals++
				}
			}
		}
	}
	if inMonth == 0 || outsideCharged == 0 || want[""].voids == 0 || want[""].manual == 0 || want[""].discount == 0 || want[""].outsideMeals <= int64(outsideCharged) {
		t.Fatalf("the generated month lacks a case: meals %d, outside charged %d, %+v", inMonth, outsideCharged, *want[""])
	}

	check := func(name string, got reports.SettlementRow, w *exp) {
		t.Helper()
		g := []int64{got.Meals, got.Subsidised, got.PriceFen, got.SubsidyFen, got.PayFen, got.DiscountFen, got.OperatingFen, got.Manual,
			got.OutsideMeals, got.OutsideFen, got.Voids, got.VoidPriceFen, got.VoidSubsidyFen}
		x := []int64{w.meals, w.subsidised, w.price, w.subsidy, w.pay, w.discount, w.operating, w.manual,
			w.outsideMeals, w.outsideFen, w.voids, w.voidPrice, w.voidSubsidy}
		if fmt.Sprint(g) != fmt.Sprint(x) {
			t.Errorf("%s: meals, subsidised, price, subsidy, pay, discount, operating, manual, outside meals, outside fen, voids, void price, void subsidy =\n got %v\nwant %v", name, g, x)
		}
		for l, fen := range w.layer {
			if got.Funding[l] != fen {
				t.Errorf("%s: layer %s pays %d, want %d", name, l, got.Funding[l], fen)
			}
		}
		if len(got.Funding) != len(w.layer) {
			t.Errorf("%s: layers %v, want %v", name, got.Funding, w.layer)
		}
		gotOut := map[string]int64{}
		for _, a := range got.OutsideFunding {
			gotOut[a.Layer+"/"+a.Code] = a.Fen
		}
		if fmt.Sprint(gotOut) != fmt.Sprint(w.outside) {
			t.Errorf("%s: outside meals charged %v, want %v", name, gotOut, w.outside)
		}
		gr, gc := map[string]int64{}, map[string]int64{}
		for k, v := range got.ByRule {
			gr[k] = v.Meals
		}
		for k, v := range got.ByCategory {
			gc[k] = v.Meals
		}
		if fmt.Sprint(gr) != fmt.Sprint(w.rule) || fmt.Sprint(gc) != fmt.Sprint(w.cat) {
			t.Errorf("%s: by rule %v by category %v, want %v %v", name, gr, gc, w.rule, w.cat)
		}
	}
	seen := 0
	for _, r := range rep.Rows {
		if w := want[r.Unit]; w != nil {
			check(r.Level+" "+r.Unit, r, w)
			seen++
		} else {
			t.Errorf("unexpected row %s %s", r.Level, r.Unit)
		}
	}
	if seen != len(settleTree) {
		t.Errorf("%d rows, want %d", seen, len(settleTree))
	}
	check("total", rep.Total, want[""])
	// The district layer's outside share is charged to the SITE's district
	// code 440304 (E2 lives in 440305), never to E2's home district.
	for _, a := range rep.Total.OutsideFunding {
		if a.Layer != "district" || a.Code != "440304" {
			t.Errorf("outside meals charged to %s %s, want district 440304", a.Layer, a.Code)
		}
	}

	// Another scope sees only its sites.
	mr2, fr2, err := s.SettlementRows(ctx, "c2", from, to)
	if err != nil {
		t.Fatal(err)
	}
	units2, _ := s.ListOrgUnits(ctx, "c2")
	rep2, err := reports.Settlement("2025-03", tz, units2, mr2, fr2, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("c2 scope total", rep2.Total, want["c2"])
}
