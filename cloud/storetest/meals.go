package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// CardTap builds the gateway's audit event of a refused tap of a card not
// on the roster (firmware-gateway/tapdesk UnknownCardData), card masked.
func CardTap(t testing.TB, gw string, seq uint64, reason, card string, at time.Time) eldergate.Envelope {
	t.Helper()
	return envelope(t, gw, seq, eldergate.KindAudit, at, map[string]string{
		"type": "tap_refused", "decision": eldergate.DecisionRefused, "reason": reason, "credential": card, "reader": "card"})
}

// pageAll walks every page of f (limit per page) and returns the event ids
// in order; between pages, fn (if not nil) runs (new meals arrive).
func pageAll(t *testing.T, s domain.Store, f domain.MealFilter, limit int, between func()) []string {
	t.Helper()
	f.Limit = limit
	var out []string
	for range 1000 {
		rows, more, err := s.MealPage(context.Background(), f)
		if err != nil {
			t.Fatalf("MealPage(%+v): %v", f, err)
		}
		if len(rows) > limit || more && len(rows) != limit {
			t.Fatalf("MealPage: %d rows, more %v, limit %d", len(rows), more, limit)
		}
		for _, r := range rows {
			out = append(out, r.EventID)
		}
		if !more {
			return out
		}
		last := rows[len(rows)-1]
		f.Before = domain.MealCursor{At: last.At, ID: last.EventID}
		if between != nil {
			between()
		}
	}
	t.Fatal("MealPage never ends")
	return nil
}

// testMealPage: the meals list's filters (scope, time, window, decision,
// voided, reason, elder, q, kind), card taps beside meals (and nowhere
// else: not in the settlement), names from the roster masked, site names,
// and keyset pages that neither repeat nor skip a row while new meals
// arrive.
func testMealPage(t *testing.T, s domain.Store) {
	ctx := context.Background()
	CreateOrgTree(t, s)
	if _, err := s.ReplaceRoster(ctx, "site-gw-a1", []eldergate.RosterElder{rElder("E1", "张三丰", "C1")}, base); err != nil {
		t.Fatal(err)
	}
	var all []eldergate.Envelope
	seq := map[string]uint64{}
	add := func(gw string, e func(seq uint64) eldergate.Envelope) eldergate.Envelope {
		seq[gw]++
		ev := e(seq[gw])
		all = append(all, ev)
		return ev
	}
	meal := func(gw, elder, window, decision, reason string, at time.Time) eldergate.Envelope {
		return add(gw, func(n uint64) eldergate.Envelope {
			d := eldergate.MealData{ElderID: elder, Window: window, Day: at.Add(8 * time.Hour).Format(time.DateOnly),
				Decision: decision, Reason: reason, PriceFen: 1200, PolicyVer: "p1"}
			if decision == eldergate.DecisionApproved {
				d.SubsidyFen, d.PayFen = 500, 700
			} else if decision == eldergate.DecisionFullPay {
				d.PayFen = 1200
			} else {
				d.PriceFen = 0
			}
			return envelope(t, gw, n, eldergate.KindMeal, at, d)
		})
	}
	// 40 meals over 4 sites in 2 districts, one a minute; every 5th refused.
	for i := range 40 {
		gw := []string{"gw-a1", "gw-a2", "gw-b1", "gw-s1"}[i%4]
		at := base.Add(time.Duration(i) * time.Minute)
		switch {
		case i%5 == 4:
			meal(gw, "E1", "lunch", eldergate.DecisionRefused, eldergate.ReasonAlreadyServed, at)
		case i%7 == 3:
			meal(gw, "E2", "dinner", eldergate.DecisionFullPay, eldergate.ReasonNoSubsidyLimit, at)
		default:
			meal(gw, "E1", "lunch", eldergate.DecisionApproved, eldergate.ReasonOK, at)
		}
	}
	// Two meals at the very same time (the id breaks the tie), and two card taps.
	tie := base.Add(10*time.Minute + 30*time.Second)
	meal("gw-a1", "E3", "lunch", eldergate.DecisionApproved, eldergate.ReasonOK, tie)
	meal("gw-a1", "E4", "lunch", eldergate.DecisionApproved, eldergate.ReasonOK, tie)
	card := add("gw-a1", func(n uint64) eldergate.Envelope {
		return CardTap(t, "gw-a1", n, eldergate.ReasonUnknownCard, "DEADBEEF", base.Add(20*time.Minute+time.Second))
	})
	lost := add("gw-s1", func(n uint64) eldergate.Envelope {
		return CardTap(t, "gw-s1", n, eldergate.ReasonCardLost, "****1234", base.Add(21*time.Minute+time.Second))
	})
	byGW := map[string][]eldergate.Envelope{}
	for _, e := range all {
		byGW[e.GW] = append(byGW[e.GW], e)
	}
	for gw, es := range byGW {
		if _, err := s.IngestBatch(ctx, gw, es, base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// A void of the first approved meal.
	voided := all[0]
	seq["gw-a1"]++
	void := envelope(t, "gw-a1", seq["gw-a1"], eldergate.KindAudit, base.Add(time.Hour),
		map[string]string{"type": "meal_void", "staff": "s1", "meal_event_id": voided.ID})
	if _, err := s.IngestBatch(ctx, "gw-a1", []eldergate.Envelope{void}, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// Every row, newest first: 42 meals and 2 card taps.
	rows, more, err := s.MealPage(ctx, domain.MealFilter{Limit: 100})
	if err != nil || more || len(rows) != 44 {
		t.Fatalf("all rows: %d, more %v, %v", len(rows), more, err)
	}
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		if a.At.Before(b.At) || a.At.Equal(b.At) && a.EventID < b.EventID {
			t.Fatalf("rows not newest first at %d: %v %s, %v %s", i, a.At, a.EventID, b.At, b.EventID)
		}
	}
	find := func(id string) domain.MealRow {
		for _, r := range rows {
			if r.EventID == id {
				return r
			}
		}
		t.Fatalf("row %s missing", id)
		return domain.MealRow{}
	}
	if r := find(card.ID); r.Kind != domain.RowCard || r.Card != "****BEEF" || r.Reason != eldergate.ReasonUnknownCard ||
		r.Decision != eldergate.DecisionRefused || r.Site != "site-gw-a1" || r.SiteName != "A1 食堂" || r.ElderID != "" || !r.At.Equal(card.At) {
		t.Errorf("card row: %+v", r)
	}
	if r := find(lost.ID); r.Card != "****1234" || r.Reason != eldergate.ReasonCardLost || r.SiteName != "S1 食堂" {
		t.Errorf("lost card row: %+v", r)
	}
	if r := find(voided.ID); !r.Voided || r.Kind != domain.RowMeal || r.ElderName != eldergate.MaskName("张三丰") || r.SiteName != "A1 食堂" {
		t.Errorf("voided meal row: %+v", r)
	}
	if r := find(all[1].ID); r.Voided || r.ElderName != "" || r.SiteName != "A2 食堂" { // E1 is on site-gw-a1's roster only
		t.Errorf("meal row of site a2: %+v", r)
	}

	count := func(f domain.MealFilter) []domain.MealRow {
		t.Helper()
		f.Limit = 100
		rows, _, err := s.MealPage(ctx, f)
		if err != nil {
			t.Fatalf("MealPage(%+v): %v", f, err)
		}
		return rows
	}
	for _, c := range []struct {
		name string
		f    domain.MealFilter
		want int
		ok   func(domain.MealRow) bool
	}{
		{"street st-a", domain.MealFilter{Scope: "st-a"}, 22 + 1, func(r domain.MealRow) bool { return r.Site == "site-gw-a1" || r.Site == "site-gw-a2" }},
		{"site s1", domain.MealFilter{Scope: "site-gw-s1"}, 10 + 1, func(r domain.MealRow) bool { return r.Site == "site-gw-s1" }},
		{"refused", domain.MealFilter{Decision: eldergate.DecisionRefused}, 8 + 2, func(r domain.MealRow) bool { return r.Decision == "refused" }},
		{"refused st-a", domain.MealFilter{Decision: eldergate.DecisionRefused, Scope: "st-a"}, 4 + 1, func(r domain.MealRow) bool { return r.Decision == "refused" }},
		{"unknown card", domain.MealFilter{Reason: eldergate.ReasonUnknownCard}, 1, func(r domain.MealRow) bool { return r.Kind == domain.RowCard }},
		{"cards", domain.MealFilter{Kind: domain.RowCard}, 2, func(r domain.MealRow) bool { return r.Kind == domain.RowCard }},
		{"meals", domain.MealFilter{Kind: domain.RowMeal}, 42, func(r domain.MealRow) bool { return r.Kind == domain.RowMeal }},
		{"already served", domain.MealFilter{Reason: eldergate.ReasonAlreadyServed}, 8, func(r domain.MealRow) bool { return r.Reason == "already_served" }},
		{"full pay", domain.MealFilter{Decision: eldergate.DecisionFullPay}, 5, func(r domain.MealRow) bool { return r.Decision == "full_pay" }},
		{"dinner", domain.MealFilter{Window: "dinner"}, 5, func(r domain.MealRow) bool { return r.Window == "dinner" }},
		{"voided", domain.MealFilter{Decision: domain.DecisionVoided}, 1, func(r domain.MealRow) bool { return r.Voided }},
		{"elder E2", domain.MealFilter{Elder: "E2"}, 5, func(r domain.MealRow) bool { return r.ElderID == "E2" }},
		{"q 3", domain.MealFilter{Q: "3"}, 1 + 1, func(r domain.MealRow) bool { return r.ElderID == "E3" || r.Card == "****1234" }},
		{"q %", domain.MealFilter{Q: "%"}, 0, nil},
		{"first ten minutes", domain.MealFilter{From: base, To: base.Add(10 * time.Minute)}, 10, func(r domain.MealRow) bool { return r.At.Before(base.Add(10 * time.Minute)) }},
		{"from 20 min", domain.MealFilter{From: base.Add(20 * time.Minute)}, 20 + 2, func(r domain.MealRow) bool { return !r.At.Before(base.Add(20 * time.Minute)) }},
	} {
		got := count(c.f)
		if len(got) != c.want {
			t.Errorf("%s: %d rows, want %d", c.name, len(got), c.want)
		}
		for _, r := range got {
			if c.ok != nil && !c.ok(r) {
				t.Errorf("%s: row %+v does not match", c.name, r)
			}
		}
	}

	// Pages of 7 walk every row once, in order, while newer meals arrive
	// between pages (they come before the first page, not in the walk).
	want := make([]string, len(rows))
	for i, r := range rows {
		want[i] = r.EventID
	}
	n := uint64(100)
	got := pageAll(t, s, domain.MealFilter{}, 7, func() {
		n++
		if _, err := s.IngestBatch(ctx, "gw-a1", []eldergate.Envelope{Meal(t, "gw-a1", n, "E9", base.Add(2*time.Hour+time.Duration(n)*time.Second))}, base.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
	})
	if !slices.Equal(got, want) {
		t.Errorf("pages of 7 while meals arrive:\n got %v\nwant %v", got, want)
	}
	// Filtered pages of 3 equal the filtered list.
	var refused []string
	for _, r := range count(domain.MealFilter{Decision: eldergate.DecisionRefused}) {
		refused = append(refused, r.EventID)
	}
	if got := pageAll(t, s, domain.MealFilter{Decision: eldergate.DecisionRefused}, 3, nil); !slices.Equal(got, refused) {
		t.Errorf("refused pages of 3:\n got %v\nwant %v", got, refused)
	}

	if _, _, err := s.MealPage(ctx, domain.MealFilter{Limit: 0}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("limit 0: %v, want ErrInvalid", err)
	}
	if _, _, err := s.MealPage(ctx, domain.MealFilter{Limit: domain.MealPageMax + 1}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("limit past the maximum: %v, want ErrInvalid", err)
	}

	// The card taps are no meals: the settlement counts the 34 meals not
	// refused and those that arrived while paging, nothing else.
	ms, _, err := s.SettlementRows(ctx, "", base.Add(-time.Hour), base.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var meals int64
	for _, m := range ms {
		meals += m.Meals
	}
	if meals != 34+int64(n-100) {
		t.Errorf("the settlement counts %d meals, want %d (card taps are not meals)", meals, 34+n-100)
	}
}

// RefusedMeal builds a meal envelope of gateway gw refused with reason.
func RefusedMeal(t testing.TB, gw string, seq uint64, elder, reason string, at time.Time) eldergate.Envelope {
	t.Helper()
	d := eldergate.MealData{ElderID: elder, Window: "lunch", Day: at.Add(8 * time.Hour).Format(time.DateOnly),
		Decision: eldergate.DecisionRefused, Reason: reason, PolicyVer: "p1"}
	return envelope(t, gw, seq, eldergate.KindMeal, at, d)
}
