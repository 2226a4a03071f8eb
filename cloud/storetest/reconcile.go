package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/policy"
)

// recTree: district 440304 with two streets; sites r1 and r2 under street
// 440304001 (communities cr1, cr2), r3 under street 440304002.
var recTree = []domain.OrgUnit{
	{ID: "d-rec", Level: domain.LevelDistrict, Name: "复核区", Code: "440304"},
	{ID: "st-rec1", ParentID: "d-rec", Level: domain.LevelStreet, Name: "一街道", Code: "440304001"},
	{ID: "st-rec2", ParentID: "d-rec", Level: domain.LevelStreet, Name: "二街道", Code: "440304002"},
	{ID: "cr1", ParentID: "st-rec1", Level: domain.LevelCommunity, Name: "一社区"},
	{ID: "cr2", ParentID: "st-rec1", Level: domain.LevelCommunity, Name: "二社区"},
	{ID: "cr3", ParentID: "st-rec2", Level: domain.LevelCommunity, Name: "三社区"},
	{ID: "site-gw-r1", ParentID: "cr1", Level: domain.LevelSite, Name: "R1 食堂"},
	{ID: "site-gw-r2", ParentID: "cr2", Level: domain.LevelSite, Name: "R2 食堂"},
	{ID: "site-gw-r3", ParentID: "cr3", Level: domain.LevelSite, Name: "R3 食堂"},
}

// recPolicy: one subsidised lunch a day (a second one is full pay), city
// 300 fen and the district the rest of a 1000 fen subsidy, an operating
// subsidy of 200 fen from the district.
const recPolicy = `version: rec-1
time_zone: Asia/Shanghai
match: first_match
windows:
  - {name: breakfast, start: "06:00", end: "09:00", price: {fixed_fen: 500}}
  - {name: lunch, start: "10:00", end: "14:00", price: {fixed_fen: 1500}}
  - {name: dinner, start: "16:00", end: "20:00", price: {per_100g_fen: 300, min_fen: 800, max_fen: 2000}}
rules:
  - {id: low, categories: [低保], age: {min: 60}, subsidy: {percent: 80}}
  - {id: age, age: {min: 60}, subsidy: {fixed_fen: 1000}}
funding:
  - {layer: city, scope: city, fen: 300, outside: home}
  - {layer: district, scope: district, rest: true, outside: site}
limits:
  - {period: day, count: 1, action: full_pay}
operating_subsidy: {fen: 200, funded_by: district}
`

// recPolicyWeek is a second version with week and month limits in fen.
const recPolicyWeek = `version: rec-2
time_zone: Asia/Shanghai
match: best_match
windows:
  - {name: lunch, start: "10:00", end: "14:00", price: {fixed_fen: 1800}}
  - {name: dinner, start: "16:00", end: "20:00", price: {fixed_fen: 1200}}
rules:
  - {id: all, age: {min: 60}, subsidy: {percent: 60}}
  - {id: low, categories: [低保], subsidy: {fixed_fen: 1200}}
funding:
  - {layer: city, scope: city, fen: 200, outside: lose}
  - {layer: street, scope: street, fen: 300, outside: site}
  - {layer: charity, scope: none, rest: true}
limits:
  - {period: window, count: 1, action: refuse}
  - {period: week, fen: 4000, action: full_pay}
  - {period: month, count: 20, action: full_pay}
`

var recElders = []eldergate.Elder{
	{ID: "R1", Name: "张一明", Birth: "1945-02-03", Active: true, Category: "低保", HomeCity: "440300", HomeDistrict: "440304", HomeStreet: "440304001"},
	{ID: "R2", Name: "李二芳", Birth: "1950-06-07", Active: true, HomeCity: "440300", HomeDistrict: "440304", HomeStreet: "440304002"},
	{ID: "R3", Name: "王三", Birth: "1939-11-30", Active: true, HomeCity: "440300", HomeDistrict: "440305", HomeStreet: "440305001"},
	{ID: "R4", Name: "赵四海", Birth: "1941-01-01", Active: true, Category: "低保", HomeCity: "440100", HomeDistrict: "440106", HomeStreet: "440106003"},
}

// recSetup creates the tree, the rosters of the three sites and the two
// policy versions.
func recSetup(t *testing.T, s domain.Store) map[string]*policy.Policy {
	t.Helper()
	ctx := context.Background()
	for _, u := range recTree {
		if _, err := s.CreateOrgUnit(ctx, u, base); err != nil {
			t.Fatalf("CreateOrgUnit(%s): %v", u.ID, err)
		}
	}
	for _, gw := range []string{"gw-r1", "gw-r2", "gw-r3"} {
		var roster []eldergate.RosterElder
		for i, e := range recElders {
			roster = append(roster, eldergate.RosterElder{Elder: e, Credentials: []eldergate.Credential{
				{Kind: eldergate.CredCard, Value: fmt.Sprintf("RC%d", i+1), State: eldergate.CredActive}}})
		}
		if _, err := s.ReplaceRoster(ctx, "site-"+gw, roster, base); err != nil {
			t.Fatalf("ReplaceRoster: %v", err)
		}
	}
	out := map[string]*policy.Policy{}
	for _, body := range []string{recPolicy, recPolicyWeek} {
		p, err := policy.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		if _, err := s.CreatePolicy(ctx, domain.StoredPolicy{Version: p.Version, Body: body, SHA256: hex.EncodeToString(sum[:]),
			CreatedAt: base, CreatedBy: "test"}); err != nil {
			t.Fatal(err)
		}
		out[p.Version] = p
	}
	return out
}

// recMeal is the meal event a gateway sends for decision d (as tapdesk's
// record and mealData write it).
func recMeal(elder, window string, d policy.Decision) eldergate.MealData {
	if window == "" {
		window = "none" // refused outside any meal window
	}
	m := eldergate.MealData{ElderID: elder, Window: window, Day: d.Day, Decision: d.Decision, Reason: d.Reason,
		PriceFen: d.PriceFen, SubsidyFen: d.SubsidyFen, PayFen: d.PayFen, WeightG: d.WeightG, PolicyVer: d.PolicyVersion,
		Rule: d.Rule, DiscountFen: d.DiscountFen, DiscountBy: d.DiscountBy, OperatingFen: d.OperatingFen, OperatingBy: d.OperatingBy}
	if len(d.Funding) > 0 {
		m.Funding = d.Funding
	}
	return m
}

// recSite is the jurisdiction of a test site as its gateway's area says.
func recSite(gw string) policy.Site {
	street := "440304001"
	if gw == "gw-r3" {
		street = "440304002"
	}
	return policy.Site{ID: "site-" + gw, Place: policy.Place{City: "440300", District: "440304", Street: street}}
}

// runReconcile reconciles month in scope as the HTTP route does.
func runReconcile(t *testing.T, s domain.Store, month, scope string) reports.ReconcileReport {
	t.Helper()
	tz, _ := time.LoadLocation("Asia/Shanghai")
	rep, err := reports.ReconcileMonth(context.Background(), s, month, tz, scope)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// testReconcileOfflineSite is the reconciliation's half of acceptance
// test 3 of issue 12: sites r1 and r2 serve elder R2 in one lunch window
// under a policy of one subsidised meal a day; r2's gateway is offline
// and, without r1's meal in its usage, subsidises the second lunch too.
// The reconciliation (scoped to r2's community: r1's meal lies outside
// the scope and still counts) lists exactly that meal, full pay for the
// cloud, with minus its shares per layer; r1's meal is not listed; a meal
// whose version the cloud does not hold is listed as not re-decidable; a
// card refused at the reader is counted, not listed.
func testReconcileOfflineSite(t *testing.T, s domain.Store) {
	ctx := context.Background()
	pols := recSetup(t, s)
	p := pols["rec-1"]
	elder := policy.FromRoster(recElders[1])
	first := time.Date(2025, 3, 12, 3, 40, 0, 0, time.UTC) // 11:40 in Asia/Shanghai
	second := first.Add(35 * time.Minute)

	// r1, online: the first lunch, with no usage yet.
	ps, _ := p.Periods(first)
	d1 := p.Decide(policy.Input{Elder: elder, Site: recSite("gw-r1"), At: first, Usage: policy.Usage{}})
	// r2, offline: it never heard of r1's meal.
	d2 := p.Decide(policy.Input{Elder: elder, Site: recSite("gw-r2"), At: second, Usage: policy.Usage{}})
	if d1.Decision != eldergate.DecisionApproved || d2.Decision != eldergate.DecisionApproved || d2.SubsidyFen != 1000 {
		t.Fatalf("setup: gateway decisions %+v / %+v", d1, d2)
	}
	var online policy.Ledger
	online.Add(elder.ID, d1)
	if want := p.Decide(policy.Input{Elder: elder, Site: recSite("gw-r2"), At: second, Usage: online.Usage(elder.ID, ps)}); want.Decision != eldergate.DecisionFullPay {
		t.Fatalf("setup: online r2 would decide %+v", want)
	}
	e1 := envelope(t, "gw-r1", 1, eldergate.KindMeal, first, recMeal(elder.ID, "lunch", d1))
	e2 := envelope(t, "gw-r2", 1, eldergate.KindMeal, second, recMeal(elder.ID, "lunch", d2))
	// Another elder's lunch at r2: the same either way.
	other := policy.FromRoster(recElders[0])
	d3 := p.Decide(policy.Input{Elder: other, Site: recSite("gw-r2"), At: second.Add(time.Minute)})
	e3 := envelope(t, "gw-r2", 2, eldergate.KindMeal, second.Add(time.Minute), recMeal(other.ID, "lunch", d3))
	// A lunch decided with a version the cloud does not hold.
	dx := d3
	dx.PolicyVersion = "rec-9"
	ex := envelope(t, "gw-r2", 3, eldergate.KindMeal, second.Add(2*time.Minute), recMeal("R3", "lunch", dx))
	// A card reported lost, refused at the reader.
	lost := p.Refused(second.Add(3*time.Minute), eldergate.ReasonCardLost)
	el := envelope(t, "gw-r2", 4, eldergate.KindMeal, second.Add(3*time.Minute), recMeal("R4", "lunch", lost))
	// r2 comes back online and delivers after r1.
	if _, err := s.IngestBatch(ctx, "gw-r1", []eldergate.Envelope{e1}, base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IngestBatch(ctx, "gw-r2", []eldergate.Envelope{e2, e3, ex, el}, base); err != nil {
		t.Fatal(err)
	}

	for _, scope := range []string{"cr2", ""} {
		rep := runReconcile(t, s, "2025-03", scope)
		if len(rep.Differences) != 1 {
			t.Fatalf("scope %q: differences %+v", scope, rep.Differences)
		}
		l := rep.Differences[0]
		if l.EventID != e2.ID || l.Site != "site-gw-r2" || l.SiteName != "R2 食堂" || l.Local != "2025-03-12 12:15" || l.TimeZone != "Asia/Shanghai" ||
			l.Elder != eldergate.MaskName("李二芳") || l.Elder == "李二芳" {
			t.Fatalf("scope %q: line %+v", scope, l)
		}
		if l.Gateway.Decision != eldergate.DecisionApproved || l.Gateway.SubsidyFen != 1000 ||
			l.Cloud.Decision != eldergate.DecisionFullPay || l.Cloud.SubsidyFen != 0 || l.Cloud.Limit != "day.count" {
			t.Fatalf("scope %q: gateway %+v cloud %+v", scope, l.Gateway, l.Cloud)
		}
		// The difference per layer is minus the shares the meal got.
		var want []reports.LayerDiff
		for _, sh := range d2.Funding {
			want = append(want, reports.LayerDiff{Layer: sh.Layer, Code: sh.Code, Fen: -int64(sh.Fen), Meals: 1})
		}
		if !slices.Equal(l.Layers, want) || l.Subsidy != -1000 || l.Operating != -200 || l.Pay != 1000 {
			t.Fatalf("scope %q: layers %+v (want %+v), subsidy %d operating %d pay %d", scope, l.Layers, want, l.Subsidy, l.Operating, l.Pay)
		}
		if !slices.Equal(rep.Totals, want) || rep.SubsidyFen != -1000 || rep.OperatingFen != -200 {
			t.Fatalf("scope %q: totals %+v", scope, rep.Totals)
		}
		var carried reports.SettlementReport // what closing the month settles
		carried.AddReconciliation(rep, time.UTC)
		if len(carried.Adjustments) != 1 || carried.Adjustments[0].Kind != reports.ReconcileKind || carried.Adjustments[0].EventID != l.EventID ||
			carried.Adjustments[0].SubsidyFen != -1000 || carried.GrandTotal.SubsidyFen != -1000 || carried.GrandTotal.Funding[want[0].Layer] != want[0].Fen {
			t.Fatalf("scope %q: carried into the settlement %+v", scope, carried.Adjustments)
		}
		if len(rep.NotRedecidable) != 1 || rep.NotRedecidable[0].EventID != ex.ID || rep.NotRedecidable[0].Reason != reports.SkipPolicyNotHeld {
			t.Fatalf("scope %q: not re-decidable %+v", scope, rep.NotRedecidable)
		}
		if rep.RefusedAtReader != 1 {
			t.Fatalf("scope %q: refused at reader %d", scope, rep.RefusedAtReader)
		}
		wantMeals, wantSame := int64(4), int64(1) // e2, e3, ex, el; e3 the same
		if scope == "" {
			wantMeals, wantSame = 5, 2 // and r1's meal, the same
		}
		if rep.Meals != wantMeals || rep.Compared != wantSame+1 || rep.Same != wantSame {
			t.Fatalf("scope %q: meals %d compared %d same %d", scope, rep.Meals, rep.Compared, rep.Same)
		}
	}
	// Scoped to r1's community: r1's meal reconciles; r2's is outside.
	if rep := runReconcile(t, s, "2025-03", "cr1"); len(rep.Differences) != 0 || rep.Meals != 1 || rep.Same != 1 {
		t.Fatalf("scope cr1: %+v", rep)
	}
	// Voiding the first meal at r1 leaves r2's second lunch rightly
	// subsidised: no difference left.
	void := envelope(t, "gw-r1", 2, eldergate.KindAudit, first.Add(10*time.Minute), map[string]any{
		"type": "meal_void", "staff": "s1", "meal_event_id": e1.ID})
	if _, err := s.IngestBatch(ctx, "gw-r1", []eldergate.Envelope{void}, base); err != nil {
		t.Fatal(err)
	}
	if rep := runReconcile(t, s, "2025-03", ""); len(rep.Differences) != 0 || rep.Voided != 1 {
		t.Fatalf("after the void: %+v", rep.Differences)
	}
}

// testReconcileConnectedIsZero: meals decided by well-connected gateways
// (the engine with the elder's usage across every site at the moment of
// the meal, voids taken out at their time) reconcile to zero difference.
// 600 meals of four elders at three sites over two months, two policy
// versions (day, window, week and month limits, fixed, percentage and
// by-weight prices, every funding rule), manual meals, voids, refusals;
// the property holds through the store on each engine.
func testReconcileConnectedIsZero(t *testing.T, s domain.Store) {
	ctx := context.Background()
	pols := recSetup(t, s)
	rng := rand.New(rand.NewPCG(2026, 12))
	gws := []string{"gw-r1", "gw-r2", "gw-r3"}
	start := time.Date(2025, 1, 28, 16, 0, 0, 0, time.UTC) // 00:00 on 29 January in Asia/Shanghai
	type ev struct {
		at   time.Time
		void string // the meal event id a void takes out
		gw   string
	}
	var times []time.Time
	for range 600 {
		day := rng.IntN(62)
		hour := []int{7, 11, 12, 13, 17, 18, 21}[rng.IntN(7)]
		times = append(times, start.Add(time.Duration(day)*24*time.Hour+time.Duration(hour)*time.Hour+time.Duration(rng.IntN(3600))*time.Second))
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	var ledger policy.Ledger // what every gateway sees with a perfect network
	decided := map[string]policy.Decision{}
	elderOf := map[string]string{}
	var pendingVoids []ev
	batches := map[string][]eldergate.Envelope{}
	seq := map[string]uint64{}
	next := func(gw string) uint64 { seq[gw]++; return seq[gw] }
	inMarch, voided := 0, 0
	for i, at := range times {
		for len(pendingVoids) > 0 && !pendingVoids[0].at.After(at) {
			v := pendingVoids[0]
			pendingVoids = pendingVoids[1:]
			ledger.Remove(elderOf[v.void], decided[v.void])
			batches[v.gw] = append(batches[v.gw], envelope(t, v.gw, next(v.gw), eldergate.KindAudit, v.at,
				map[string]any{"type": "meal_void", "staff": "s1", "meal_event_id": v.void}))
		}
		gw := gws[rng.IntN(len(gws))]
		e := recElders[rng.IntN(len(recElders))]
		p := pols["rec-1"]
		if at.Day()%3 == 0 || i%7 == 0 {
			p = pols["rec-2"]
		}
		ps, window := p.Periods(at)
		in := policy.Input{Elder: policy.FromRoster(e), Site: recSite(gw), At: at, Usage: ledger.Usage(e.ID, ps)}
		switch rng.IntN(4) {
		case 0:
			in.PriceFen = eldergate.Fen(300 + rng.IntN(2500)) // rung up at a till
		case 1:
			in.WeightG = int64(100 + rng.IntN(600))
		}
		d := p.Decide(in)
		ledger.Add(e.ID, d)
		data := recMeal(e.ID, window, d)
		if rng.IntN(9) == 0 {
			data.Manual, data.Staff = true, "s1"
		}
		env := envelope(t, gw, next(gw), eldergate.KindMeal, at, data)
		decided[env.ID], elderOf[env.ID] = d, e.ID
		batches[gw] = append(batches[gw], env)
		if at.In(time.FixedZone("CST", 8*3600)).Month() == time.March {
			inMarch++
		}
		if d.Decision != eldergate.DecisionRefused && rng.IntN(10) == 0 {
			pendingVoids = append(pendingVoids, ev{at: at.Add(time.Duration(1+rng.IntN(300)) * time.Minute), void: env.ID, gw: gw})
			slices.SortStableFunc(pendingVoids, func(a, b ev) int { return a.at.Compare(b.at) })
			if at.In(time.FixedZone("CST", 8*3600)).Month() == time.March {
				voided++
			}
		}
	}
	for _, v := range pendingVoids {
		batches[v.gw] = append(batches[v.gw], envelope(t, v.gw, next(v.gw), eldergate.KindAudit, v.at,
			map[string]any{"type": "meal_void", "staff": "s1", "meal_event_id": v.void}))
	}
	for _, gw := range gws {
		// Delivered in several batches, in order.
		for b := batches[gw]; len(b) > 0; {
			n := min(len(b), 50)
			if _, err := s.IngestBatch(ctx, gw, b[:n], base); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
		}
	}
	rep := runReconcile(t, s, "2025-03", "")
	t.Logf("March: %d meals, %d compared, %d voided, %d refused at the reader", rep.Meals, rep.Compared, rep.Voided, rep.RefusedAtReader)
	if len(rep.Differences) != 0 || len(rep.NotRedecidable) != 0 || len(rep.Totals) != 0 {
		t.Fatalf("connected gateways: %d differences, first %+v; not re-decidable %+v", len(rep.Differences), first(rep.Differences), rep.NotRedecidable)
	}
	if rep.Meals != int64(inMarch) || rep.Compared+rep.Voided != int64(inMarch) || rep.Same != rep.Compared || rep.Voided != int64(voided) || voided == 0 {
		t.Fatalf("meals %d (want %d) compared %d voided %d (want %d) same %d", rep.Meals, inMarch, rep.Compared, rep.Voided, voided, rep.Same)
	}
}

// first is the first element of s, or the zero value.
func first[T any](s []T) T {
	var z T
	if len(s) == 0 {
		return z
	}
	return s[0]
}
