package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// testIngestBatches: several batches of several gateways in one
// transaction commit exactly what IngestBatch would for each, and the
// sequence counters follow.
func testIngestBatches(t *testing.T, s domain.Store) {
	ctx := context.Background()
	a := func(seq uint64) eldergate.Envelope { return Meal(t, "gw-a", seq, "E1", base) }
	b := func(seq uint64) eldergate.Envelope { return Meal(t, "gw-b", seq, "E2", base) }
	a1, a2, a3, a5 := a(1), a(2), a(3), a(5)
	b1, b2 := b(1), b(2)
	// b's event carrying a's id: never committed for b.
	steal := b(3)
	steal.ID = a2.ID
	// a stored before the call: acknowledged again, counted once.
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{a1}, base); err != nil {
		t.Fatal(err)
	}
	got, err := s.IngestBatches(ctx, []domain.GatewayBatch{
		{GW: "gw-a", Events: []eldergate.Envelope{a1, a2}},
		{GW: "gw-b", Events: []eldergate.Envelope{b1, steal, a3}}, // a3 is a's event in b's batch
		{GW: "gw-a", Events: []eldergate.Envelope{a2, a5}},        // a2 again in the same call
		{GW: "gw-b", Events: []eldergate.Envelope{b2}},
	}, base.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{a1.ID, a2.ID}, {b1.ID}, {a2.ID, a5.ID}, {b2.ID}}
	if len(got) != len(want) {
		t.Fatalf("IngestBatches returned %d lists, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("batch %d committed %v, want %v", i, got[i], want[i])
		}
	}
	if n, err := s.CountEvents(ctx); err != nil || n != 5 {
		t.Errorf("CountEvents = %d, %v, want 5 (a1 a2 a5 b1 b2)", n, err)
	}
	for _, c := range []struct {
		gw   string
		want domain.SeqStats
	}{
		{"gw-a", domain.SeqStats{Min: 1, Max: 5, Count: 3, Gaps: 2}},
		{"gw-b", domain.SeqStats{Min: 1, Max: 2, Count: 2}},
		{"gw-none", domain.SeqStats{}},
	} {
		if st, err := s.GatewaySeq(ctx, c.gw); err != nil || st != c.want {
			t.Errorf("GatewaySeq(%s) = %+v, %v, want %+v", c.gw, st, err, c.want)
		}
	}
	// Empty and foreign-only batches commit nothing and fail nothing.
	got, err = s.IngestBatches(ctx, []domain.GatewayBatch{{GW: "gw-a"}, {GW: "gw-c", Events: []eldergate.Envelope{a(9)}}}, base)
	if err != nil || len(got) != 2 || len(got[0]) != 0 || len(got[1]) != 0 {
		t.Errorf("IngestBatches(empty, foreign) = %v, %v", got, err)
	}
	meals, err := s.ListMeals(ctx, "")
	if err != nil || len(meals) != 5 {
		t.Errorf("ListMeals = %d rows, %v, want 5", len(meals), err)
	}
	for _, m := range meals {
		if m.PriceSource != "" || m.Items != nil {
			t.Errorf("a fixed-price meal lists a price source or dishes: %+v", m)
		}
	}

	// A meal priced from the menu is listed with its dishes.
	items := []eldergate.MenuLine{{Dish: "rice", Name: "米饭", Qty: 2, PriceFen: 150}, {Dish: "fish", Name: "清蒸鱼", Qty: 1, PriceFen: 900}}
	d := eldergate.MealData{ElderID: "E1", Window: "lunch", Day: "2025-03-04", Decision: eldergate.DecisionApproved, Reason: eldergate.ReasonOK,
		PriceFen: 1200, SubsidyFen: 500, PayFen: 700, PolicyVer: "p1", PriceSource: eldergate.PriceSourceMenu, Cashier: "S1", Items: items}
	menuMeal := envelope(t, "gw-a", 10, eldergate.KindMeal, base.Add(time.Hour), d)
	if _, err := eldergate.DecodeMealData(menuMeal.Data); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{menuMeal}, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	meals, err = s.ListMeals(ctx, "")
	if err != nil || len(meals) != 6 || meals[0].EventID != menuMeal.ID {
		t.Fatalf("ListMeals after a menu meal = %d rows, %v", len(meals), err)
	}
	if m := meals[0]; m.PriceSource != eldergate.PriceSourceMenu || !slices.Equal(m.Items, items) {
		t.Errorf("menu meal listed as %+v", m)
	}
}
