package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// reviewTree: one district, one street, two communities with one site
// each (site-gw-r1 in cr1, site-gw-r2 in cr2).
var reviewTree = []domain.OrgUnit{
	{ID: "d-rev", Level: domain.LevelDistrict, Name: "核查区"},
	{ID: "st-rev", ParentID: "d-rev", Level: domain.LevelStreet, Name: "核查街道"},
	{ID: "cr1", ParentID: "st-rev", Level: domain.LevelCommunity, Name: "一社区"},
	{ID: "cr2", ParentID: "st-rev", Level: domain.LevelCommunity, Name: "二社区"},
	{ID: "site-gw-r1", ParentID: "cr1", Level: domain.LevelSite, Name: "R1 食堂"},
	{ID: "site-gw-r2", ParentID: "cr2", Level: domain.LevelSite, Name: "R2 食堂"},
}

// testReview is acceptance test 3's half of issue 12 (two sites serve one
// elder in one lunch window while one of them is offline: the review list
// names both meals) and a positive and a negative case of every other
// kind of item to review, through the store's rows and the report's
// rules (docs/review.md).
func testReview(t *testing.T, s domain.Store) {
	ctx := context.Background()
	for _, u := range reviewTree {
		if _, err := s.CreateOrgUnit(ctx, u, base); err != nil {
			t.Fatalf("CreateOrgUnit(%s): %v", u.ID, err)
		}
	}
	tz, _ := time.LoadLocation("Asia/Shanghai")
	at := func(day, hour, min int) time.Time { return time.Date(2025, 3, day, hour, min, 0, 0, tz).UTC() }
	card := func(i int) string { return fmt.Sprintf("C%04d", 1000+i) }
	var roster []eldergate.RosterElder
	for i := 1; i <= 30; i++ {
		roster = append(roster, eldergate.RosterElder{Elder: eldergate.Elder{ID: fmt.Sprintf("E%d", i), Name: "长者" + fmt.Sprint(i), Active: true},
			Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: card(i), State: eldergate.CredActive}}})
	}
	for _, site := range []string{"site-gw-r1", "site-gw-r2"} {
		if _, err := s.ReplaceRoster(ctx, site, roster, at(1, 8, 0)); err != nil {
			t.Fatalf("ReplaceRoster: %v", err)
		}
	}
	seq := map[string]uint64{}
	// tap builds the meal event of elder i at gw: a card tap (masked
	// credential, as the gateway sends it) or a manual meal by staff.
	tap := func(gw string, i int, when time.Time, staff string) eldergate.Envelope {
		seq[gw]++
		d := eldergate.MealData{ElderID: fmt.Sprintf("E%d", i), Credential: eldergate.MaskID(card(i)), Window: "lunch",
			Day: when.In(tz).Format(time.DateOnly), Decision: eldergate.DecisionApproved, Reason: eldergate.ReasonOK,
			PriceFen: 1500, SubsidyFen: 500, PayFen: 1000, PolicyVer: "p1"}
		if when.In(tz).Hour() >= 16 || when.In(tz).Hour() < 6 {
			d.Window = "dinner"
		}
		if staff != "" {
			d.Manual, d.Staff, d.Credential = true, staff, eldergate.MaskID("manual:"+d.ElderID)
		}
		return envelope(t, gw, seq[gw], eldergate.KindMeal, when, d)
	}
	ingest := func(gw string, received time.Time, evs ...eldergate.Envelope) {
		t.Helper()
		if _, err := s.IngestBatch(ctx, gw, evs, received); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}
	review := func(scope string) reports.ReviewReport {
		t.Helper()
		from, to, err := reports.ParseMonth("2025-03", tz)
		if err != nil {
			t.Fatal(err)
		}
		meals, changes, err := s.ReviewRows(ctx, scope, from, to, reports.NightSpans(from, to, tz))
		if err != nil {
			t.Fatalf("ReviewRows: %v", err)
		}
		units, err := s.ListOrgUnits(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := reports.Review("2025-03", tz, "zh-CN", units, meals, changes)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	// items gives the event ids behind each item of kind.
	items := func(rep reports.ReviewReport, kind string) [][]string {
		var out [][]string
		for _, it := range rep.Items {
			if it.Kind != kind {
				continue
			}
			var ids []string
			for _, m := range it.Meals {
				ids = append(ids, m.EventID)
			}
			out = append(out, ids)
		}
		return out
	}
	want := func(rep reports.ReviewReport, kind string, exp ...[]string) {
		t.Helper()
		got := items(rep, kind)
		if len(got) != len(exp) {
			t.Fatalf("%s: %d items %v, want %v", kind, len(got), got, exp)
		}
		for i := range exp {
			a, b := slices.Sorted(slices.Values(got[i])), slices.Sorted(slices.Values(exp[i]))
			if !slices.Equal(a, b) {
				t.Fatalf("%s item %d: meals %v, want %v", kind, i, a, b)
			}
		}
	}

	// Acceptance 3: E1 lunches at R1 (online) at 11:30 and at R2 at 12:00
	// on 4 March while gw-r2 is offline; gw-r2 delivers the next day.
	m1 := tap("gw-r1", 1, at(4, 11, 30), "")
	ingest("gw-r1", at(4, 11, 30), m1)
	m2 := tap("gw-r2", 1, at(4, 12, 0), "")
	want(review("d-rev"), reports.KindTwoSites) // not delivered yet: nothing to see
	ingest("gw-r2", at(5, 9, 0), m2)
	rep := review("d-rev")
	want(rep, reports.KindTwoSites, []string{m1.ID, m2.ID})
	// A scope that holds one of the sites sees the item; the other site's
	// meal shows its id, site and time, its amounts and card withheld.
	for _, scope := range []string{"cr1", "site-gw-r2"} {
		r := review(scope)
		want(r, reports.KindTwoSites, []string{m1.ID, m2.ID})
		for _, m := range r.Items[0].Meals {
			inScope := scope == "cr1" && m.Site == "site-gw-r1" || scope == "site-gw-r2" && m.Site == "site-gw-r2"
			if m.Withheld == inScope || !inScope && (m.PriceFen != 0 || m.Credential != "") || inScope && (m.PriceFen != 1500 || m.Credential != eldergate.MaskID(card(1))) {
				t.Fatalf("scope %s: meal %+v", scope, m)
			}
		}
	}
	// E2 lunches at R1 and dines at R2 the same day: two windows, no item.
	ingest("gw-r1", at(4, 12, 0), tap("gw-r1", 2, at(4, 12, 5), ""))
	ingest("gw-r2", at(4, 17, 0), tap("gw-r2", 2, at(4, 17, 30), ""))

	// Card lost: E3's card is reported lost at the cloud at 9:00 on 10
	// March (at R1's roster); a lunch before is no item, lunches after at
	// either site are one item.
	before := tap("gw-r1", 3, at(9, 12, 0), "")
	ingest("gw-r1", at(9, 12, 0), before)
	if _, err := s.SetCredentialState(ctx, "site-gw-r1", "E3", eldergate.Credential{Kind: eldergate.CredCard, Value: card(3), State: eldergate.CredLost}, at(10, 9, 0)); err != nil {
		t.Fatalf("SetCredentialState: %v", err)
	}
	after1, after2 := tap("gw-r1", 3, at(11, 12, 0), ""), tap("gw-r2", 3, at(12, 12, 0), "")
	ingest("gw-r1", at(11, 12, 0), after1)
	ingest("gw-r2", at(12, 12, 0), after2)
	// E4's card: lost on the 10th, active again on the 11th: a lunch on
	// the 12th is no item.
	if _, err := s.SetCredentialState(ctx, "site-gw-r1", "E4", eldergate.Credential{Kind: eldergate.CredCard, Value: card(4), State: eldergate.CredLost}, at(10, 9, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetCredentialState(ctx, "site-gw-r1", "E4", eldergate.Credential{Kind: eldergate.CredCard, Value: card(4), State: eldergate.CredActive}, at(11, 9, 0)); err != nil {
		t.Fatal(err)
	}
	ingest("gw-r1", at(12, 12, 0), tap("gw-r1", 4, at(12, 12, 0), ""))

	// Removed: E5 is taken off R2's roster at 9:00 on the 12th; a lunch at
	// R2 before is no item, after is; a lunch at R1 (still on its roster)
	// is none.
	r2before := tap("gw-r2", 5, at(11, 12, 30), "")
	ingest("gw-r2", at(11, 12, 30), r2before)
	var without []eldergate.RosterElder
	for _, e := range roster {
		if e.ID != "E5" {
			without = append(without, e)
		}
	}
	if ch, err := s.ReplaceRoster(ctx, "site-gw-r2", without, at(12, 9, 0)); err != nil || ch.Removed != 1 {
		t.Fatalf("ReplaceRoster: %+v %v", ch, err)
	}
	r2after := tap("gw-r2", 5, at(13, 12, 0), "")
	ingest("gw-r2", at(13, 12, 0), r2after, tap("gw-r2", 6, at(13, 12, 1), ""))
	ingest("gw-r1", at(14, 12, 0), tap("gw-r1", 5, at(14, 12, 0), ""))
	// Put back on R2's roster on the 15th: a lunch there on the 16th is
	// no item (the one on the 13th stays one).
	if ch, err := s.ReplaceRoster(ctx, "site-gw-r2", roster, at(15, 9, 0)); err != nil || !ch.Changed {
		t.Fatalf("ReplaceRoster (E5 back): %+v %v", ch, err)
	}
	ingest("gw-r2", at(16, 12, 0), tap("gw-r2", 5, at(16, 12, 0), ""))

	// Manual burst: staff st-b keys 10 meals at R1 in 9 minutes (an
	// item); st-c keys 9 (none).
	var burst, calm []eldergate.Envelope
	for i := range 10 {
		burst = append(burst, tap("gw-r1", 10+i, at(17, 11, i), "st-b"))
		if i < 9 {
			calm = append(calm, tap("gw-r1", 10+i, at(18, 11, i), "st-c"))
		}
	}
	ingest("gw-r1", at(17, 12, 0), burst...)
	ingest("gw-r1", at(18, 12, 0), calm...)

	// Void: one lunch voided by st-v (an item), its neighbour not.
	voided := tap("gw-r1", 20, at(19, 12, 0), "")
	seq["gw-r1"]++
	void := envelope(t, "gw-r1", seq["gw-r1"], eldergate.KindAudit, at(19, 12, 3), map[string]any{
		"type": "meal_void", "staff": "st-v", "meal_event_id": voided.ID, "elder_id": "E20"})
	ingest("gw-r1", at(19, 12, 5), voided, tap("gw-r1", 21, at(19, 12, 1), ""), void)

	// Night: E22's card at 23:30 at R2 (an item), E23's at 20:30 (none).
	nightTap := tap("gw-r2", 22, at(20, 23, 30), "")
	ingest("gw-r2", at(20, 23, 30), nightTap, tap("gw-r2", 23, at(20, 20, 30), ""))

	rep = review("d-rev")
	want(rep, reports.KindTwoSites, []string{m1.ID, m2.ID})
	want(rep, reports.KindAfterCardLost, []string{after1.ID, after2.ID})
	want(rep, reports.KindAfterRemoved, []string{r2after.ID})
	var burstIDs []string
	for _, e := range burst {
		burstIDs = append(burstIDs, e.ID)
	}
	want(rep, reports.KindManualBurst, burstIDs)
	want(rep, reports.KindVoid, []string{voided.ID})
	want(rep, reports.KindUnusualHours, []string{nightTap.ID})
	for _, it := range rep.Items {
		if it.Kind == reports.KindVoid && it.Meals[0].VoidedBy != "st-v" {
			t.Fatalf("void: %+v", it)
		}
		if it.Kind == reports.KindAfterCardLost && (it.Params["state"] != "lost" || it.Params["reported_at"] != at(10, 9, 0).Format(time.RFC3339)) {
			t.Fatalf("after card lost: %+v", it.Params)
		}
		if it.Text == "" || it.Meals[0].Name == "" {
			t.Fatalf("item without words or masked name: %+v", it)
		}
	}
	// Scoped to R1's community: R2's items (the removal, the night tap,
	// the lost card's meal at R2) are not there.
	r1 := review("cr1")
	want(r1, reports.KindAfterCardLost, []string{after1.ID})
	want(r1, reports.KindAfterRemoved)
	want(r1, reports.KindUnusualHours)
	want(r1, reports.KindVoid, []string{voided.ID})
}
